// use.js DRIVER - the sqlite-joblib npm package as a user meets it: load(db)
// into a better-sqlite3 or libsql Database, then a bundle written and read.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const sqliteJoblib = require('sqlite-joblib');

const driver = process.argv[2];
const Database = require(driver);
const db = new Database(':memory:');
if (sqliteJoblib.load(db) !== db) throw new Error('load(db) must return db');
const p = sqliteJoblib.getLoadablePath();
console.log(`${driver}: ${path.relative(process.cwd(), fs.realpathSync(p)).replace(/\\/g, '/')}`);
console.log(`version ${JSON.parse(db.prepare('SELECT joblib_version() AS v').get().v).version}`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-joblib-npm-'));
const file = path.join(dir, 'm.pkl.gz');
const coef = Buffer.from(new Float64Array([0.5, -1.25]).buffer);
db.prepare("SELECT joblib_dump(joblib_dict('coef', joblib_ndarray(?, '<f8'), 'name', 'demo'), ?) AS f")
  .get(coef, file);
console.log(db.prepare('SELECT joblib_show(?) AS t').get(file).t);
const blob = db.prepare("SELECT joblib_load(?, '$.coef') AS b").get(file).b;
console.log(`coef ${Array.from(new Float64Array(blob.buffer, blob.byteOffset, blob.length / 8)).join(' ')}`);
fs.rmSync(dir, { recursive: true });
