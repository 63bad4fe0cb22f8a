#!/usr/bin/env node
// The `gridscore` command. A plain-JS shim that exists before the TypeScript build, so npm can
// link it at install time; the CLI itself is compiled to dist/ by `npm install` (prepare: tsc -b).
import '../dist/cli.js';
