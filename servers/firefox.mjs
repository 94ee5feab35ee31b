// Launches Debian's firefox-esr headless through puppeteer-core over
// WebDriver BiDi (playwright-core 1.65 needs BiDi commands Firefox 153 does
// not have). The page tests use the part of the page API both libraries
// share: goto, evaluate(fn, arg), on("pageerror").
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

export const FIREFOX = process.env.FIREFOX ?? "/usr/bin/firefox-esr";

/**
 * `trustCa`: a PEM root this browser trusts (Firefox trusts roots, not keys:
 * it goes into a fresh profile's NSS database through certutil).
 * `prefs`: more about:config preferences (e.g. network.dns.localDomains).
 */
export async function launchFirefox({ trustCa, prefs = {} } = {}) {
  let userDataDir;
  if (trustCa) {
    userDataDir = mkdtempSync(join(tmpdir(), "ff-profile-"));
    const ca = join(userDataDir, "test-ca.pem");
    writeFileSync(ca, trustCa);
    execFileSync("certutil", ["-N", "-d", `sql:${userDataDir}`, "--empty-password"]);
    execFileSync("certutil", ["-A", "-d", `sql:${userDataDir}`, "-n", "go-net-wasm test CA", "-t", "C,,", "-i", ca]);
  }
  return puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX,
    headless: true,
    userDataDir,
    // No updates, telemetry or remote settings: the machine's network is closed.
    extraPrefsFirefox: {
      "app.update.enabled": false,
      "datareporting.policy.dataSubmissionEnabled": false,
      "toolkit.telemetry.enabled": false,
      "network.captive-portal-service.enabled": false,
      "browser.safebrowsing.update.enabled": false,
      ...prefs,
    },
  });
}
