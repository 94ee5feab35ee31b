// Launches Debian's firefox-esr headless through puppeteer-core over
// WebDriver BiDi (playwright-core 1.65 needs BiDi commands Firefox 153 does
// not have). The page tests use the part of the page API both libraries
// share: goto, evaluate(fn, arg), waitForFunction(fn), on("pageerror").
import puppeteer from "puppeteer-core";

export const FIREFOX = process.env.FIREFOX ?? "/usr/bin/firefox-esr";

export async function launchFirefox() {
  return puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX,
    headless: true,
    // No updates, telemetry or remote settings: the machine's network is closed.
    extraPrefsFirefox: {
      "app.update.enabled": false,
      "datareporting.policy.dataSubmissionEnabled": false,
      "toolkit.telemetry.enabled": false,
      "network.captive-portal-service.enabled": false,
      "browser.safebrowsing.update.enabled": false,
    },
  });
}
