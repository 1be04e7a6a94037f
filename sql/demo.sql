-- sqlite-joblib demo: read bundles written by Python's joblib.
-- Run from a directory holding seed.pkl and model.joblib (scripts/demo
-- makes both with real joblib and scikit-learn, then runs this):
--   python3 -c "import joblib, numpy as np; joblib.dump([('a',[1,2,3]),('b',np.arange(10))], 'seed.pkl')"
--   sqlite3 :memory: -cmd '.load path/to/joblib0' < demo.sql
-- tests/CMakeLists.txt runs it too (test demo.sql).

-- The seed example at a glance.
SELECT joblib_show('seed.pkl');
SELECT '';

-- What the file is, without decoding array data.
SELECT 'joblib_info: ' || joblib_info('seed.pkl');
SELECT '';

.headers on
.mode box

-- Every node, depth-first; BLOB values shown in hex.
SELECT fullkey, type, dtype, shape,
       CASE typeof(value) WHEN 'blob' THEN hex(value) ELSE value END AS value
FROM joblib_tree('seed.pkl');

-- Single values by path.
SELECT joblib_load('seed.pkl', '$[0][0]')      AS "$[0][0]",
       joblib_load('seed.pkl', '$[0][1]')      AS "$[0][1]",
       hex(joblib_load('seed.pkl', '$[1][1]')) AS "hex($[1][1])";

-- The array's elements as rows.
SELECT key, value FROM joblib_each('seed.pkl', '$[1][1]') WHERE key < 4;
SELECT sum(value) AS "sum of np.arange(10)" FROM joblib_each('seed.pkl', '$[1][1]');

-- A scikit-learn model made on the spot, at a glance, and one array of it.
.mode list
.headers off
SELECT '';
SELECT joblib_show('model.joblib');
SELECT '';
.headers on
.mode box
SELECT j.value ->> 'path' AS array, j.value ->> 'dtype' AS dtype, j.value ->> 'shape' AS shape
FROM json_each(joblib_info('model.joblib'), '$.arrays') AS j;
SELECT key AS "index", value AS class FROM joblib_each('model.joblib', '$.classes_');
