// sqlite-joblib for Node.js: the path of the loadable module joblib0.so
// shipped in this package, and load(db) for better-sqlite3 (12.x) and
// libsql, whose Database objects both have loadExtension(path).
//
//   const Database = require('better-sqlite3');   // or require('libsql')
//   const sqliteJoblib = require('sqlite-joblib');
//   const db = new Database(':memory:');
//   sqliteJoblib.load(db);
//   db.prepare("SELECT joblib_show('model.joblib') AS t").get().t;
'use strict';

const fs = require('fs');
const path = require('path');

const MODULE = 'joblib0.so';

// The absolute path of joblib0.so. SQLite derives the entry point
// (sqlite3_joblib_init) from the file name, so none needs to be given.
function getLoadablePath() {
  const file = path.join(__dirname, MODULE);
  if (!fs.existsSync(file)) {
    throw new Error(`sqlite-joblib: ${file} is missing (reinstall the package; see its README)`);
  }
  return file;
}

// Loads the extension into a better-sqlite3 or libsql Database.
function load(db) {
  if (!db || typeof db.loadExtension !== 'function') {
    throw new TypeError('sqlite-joblib: load(db) needs a better-sqlite3 or libsql Database');
  }
  db.loadExtension(getLoadablePath());
  return db;
}

module.exports = { getLoadablePath, load };
