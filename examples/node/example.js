// example.js - sqlite-joblib from Node.js with better-sqlite3 (version 12).
//
//   npm install
//   node example.js /path/to/joblib0.so [bundle.pkl]
//
// Loads the extension into a better-sqlite3 connection, writes a bundle
// with SQL, reads it back (as text, as a Float64Array, row by row) and,
// when a bundle is given, shows its top two levels.
'use strict';

const Database = require('better-sqlite3');
const fs = require('fs');
const os = require('os');
const path = require('path');

const modulePath = process.argv[2] || process.env.JL_MODULE;
if (!modulePath) {
  console.error('usage: node example.js /path/to/joblib0.so [bundle.pkl]');
  process.exit(2);
}

const db = new Database(':memory:');
// The entry point sqlite3_joblib_init is found from the file name.
db.loadExtension(modulePath);

const version = JSON.parse(db.prepare('SELECT joblib_version() AS v').pluck().get());
console.log(`sqlite-joblib ${version.version}`);

// Write: a dict with a float64 array (raw bytes in a Buffer), a name and a
// list, into a compressed file that Python's joblib.load reads.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-joblib-'));
const file = path.join(dir, 'model.pkl.gz');
const coef = Buffer.from(new Float64Array([0.5, -1.25, 2.0]).buffer);
const files = db
  .prepare(`SELECT joblib_dump(joblib_dict('coef', joblib_ndarray(?, '<f8'), 'name', ?,
                                           'classes', joblib_list('no', 'yes')), ?) AS files`)
  .pluck()
  .get(coef, 'demo', file);
console.log(`wrote ${JSON.parse(files).length} file(s)`);

// Read: the whole tree at a glance, one array as a typed array, the rows
// of joblib_tree.
console.log(db.prepare('SELECT joblib_show(?) AS t').pluck().get(file));
const blob = db.prepare(`SELECT joblib_load(?, '$.coef') AS b`).pluck().get(file);
const values = new Float64Array(blob.buffer, blob.byteOffset, blob.length / 8);
console.log(`coef = ${Array.from(values).join(', ')}`);
for (const row of db.prepare('SELECT fullkey, type, dtype FROM joblib_tree(?)').iterate(file)) {
  console.log(`${row.fullkey} ${row.type}${row.dtype ? ' ' + row.dtype : ''}`);
}

if (process.argv[3]) {
  console.log(db.prepare(`SELECT joblib_show(?, '$', 2) AS t`).pluck().get(process.argv[3]));
}

db.close();
fs.rmSync(dir, { recursive: true, force: true });
