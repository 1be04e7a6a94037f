// install.js - puts joblib0.so into this package, from the first of:
//   1. joblib0.so already here (a packed tarball carries it): nothing to do
//   2. SQLITE_JOBLIB_MODULE=/path/to/joblib0.so   a module already built
//   3. SQLITE_JOBLIB_BUILD_DIR=/path/to/build     a CMake build tree of
//                                                  sqlite-joblib (its joblib0.so)
//   4. the source tree (SQLITE_JOBLIB_SOURCE, default: the folder above this
//      one, when it is the sqlite-joblib repository): CMake builds the
//      target `joblib` in ./build (Release, no tests)
// `npm pack` runs it with --pack (prepack) so that the tarball holds the
// module; `npm install` of the folder or the tarball runs it without.
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const here = __dirname;
const target = path.join(here, 'joblib0.so');
const env = process.env;

function copy(from, why) {
  if (!fs.existsSync(from)) {
    console.error(`sqlite-joblib: ${from} (${why}) does not exist`);
    process.exit(1);
  }
  fs.copyFileSync(from, target);
  console.log(`sqlite-joblib: joblib0.so from ${from}`);
}

function main() {
  const packing = process.argv.includes('--pack');
  if (env.SQLITE_JOBLIB_MODULE) return copy(env.SQLITE_JOBLIB_MODULE, 'SQLITE_JOBLIB_MODULE');
  if (env.SQLITE_JOBLIB_BUILD_DIR) {
    return copy(path.join(env.SQLITE_JOBLIB_BUILD_DIR, 'joblib0.so'), 'SQLITE_JOBLIB_BUILD_DIR');
  }
  if (fs.existsSync(target)) return undefined;
  const source = env.SQLITE_JOBLIB_SOURCE || path.dirname(here);
  const lists = path.join(source, 'CMakeLists.txt');
  if (!fs.existsSync(lists) || !/project\(sqlite_joblib\b/.test(fs.readFileSync(lists, 'utf8'))) {
    console.error('sqlite-joblib: no joblib0.so in this package and no source tree to build it from; ' +
                  'set SQLITE_JOBLIB_MODULE, SQLITE_JOBLIB_BUILD_DIR or SQLITE_JOBLIB_SOURCE');
    process.exit(1);
  }
  const build = path.join(here, 'build');
  const cmake = env.CMAKE || 'cmake';
  console.log(`sqlite-joblib: building joblib0.so from ${source}${packing ? ' (for npm pack)' : ''}`);
  execFileSync(cmake, ['-S', source, '-B', build, '-DCMAKE_BUILD_TYPE=Release', '-DJL_TESTS=OFF'],
               { stdio: 'inherit' });
  execFileSync(cmake, ['--build', build, '--target', 'joblib', '-j', env.SQLITE_JOBLIB_JOBS || '2'],
               { stdio: 'inherit' });
  return copy(path.join(build, 'joblib0.so'), 'CMake build');
}

main();
