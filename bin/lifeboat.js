#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src-main', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('lifeboat: not built yet; run "npm run build" in ' + path.join(__dirname, '..') + '\n');
  process.exit(1);
}
require(entry).main().catch((err) => {
  process.stderr.write('lifeboat: ' + (err && err.stack ? err.stack : String(err)) + '\n');
  process.exit(1);
});
