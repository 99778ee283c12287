// Verifies Sigstore bundles with sigstore-js against a trusted root and
// prints one JSON line per bundle: {"name", "ok", "san" | "error"}.
// Usage: node verify.js DIR NAME... (DIR holds trusted_root.json and
// NAME.json bundles).
'use strict';
const fs = require('fs');
const path = require('path');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

const [dir, ...names] = process.argv.slice(2);
const read = (f) => JSON.parse(fs.readFileSync(path.join(dir, f)));
const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(read('trusted_root.json'))), {
  tlogThreshold: 1, ctlogThreshold: 0, tsaThreshold: 0,
});
for (const name of names) {
  let out;
  try {
    const signer = verifier.verify(toSignedEntity(bundleFromJSON(read(name + '.json'))));
    out = { name, ok: true, san: signer.identity ? signer.identity.subjectAlternativeName : '' };
  } catch (e) {
    out = { name, ok: false, error: `${e.code || ''} ${e.message}`.trim() };
  }
  console.log(JSON.stringify(out));
}
