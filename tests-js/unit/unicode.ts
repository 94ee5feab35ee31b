// Deterministic strings for the Unicode property tests: every plane mixed
// with the URL and host grammar's own characters.
export function* unicodeStrings(n: number) {
  let x = 0x9e3779b9;
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const grammar = ":/[]@.%*?#\\ \u0000é€😀xn--ß".split("");
  for (let i = 0; i < n; i++) {
    let s = "";
    for (let k = next() % 16; k > 0; k--) {
      const r = next();
      s += r % 3 === 0 ? grammar[r % grammar.length] : String.fromCodePoint(r % 0x110000 >= 0xd800 && r % 0x110000 < 0xe000 ? 0x41 : r % 0x110000);
    }
    yield s;
  }
}
