-- joblib_export and CREATE VIRTUAL TABLE ... USING joblib: exports read
-- back through joblib_info / joblib_load / the virtual table, and tables over
-- the fixtures of tests/fixtures/make_fixtures.py (written by real joblib).
-- Every row must be `name|1`; run by tests/sql/run_sql_test.py in the
-- fixtures directory (the exports are written there, as tables_*.pkl).

CREATE TEMP TABLE src(i INTEGER, r REAL, t TEXT, b BLOB, ni INTEGER, m);
INSERT INTO src VALUES
  (1, 0.5, 'a', x'00ff', 10, 1),
  (-9223372036854775808, -1e300, 'h' || char(233) || 'llo', x'', NULL, 'two'),
  (9223372036854775807, 3.0, '', x'41', 30, 2.5),
  (0, 1e-300, 'quote''s', zeroblob(3), NULL, NULL);

-- export: the files written, one array per column, dtypes as pandas infers them
SELECT 'export result', joblib_export('SELECT * FROM src', 'tables_src.pkl') = '["tables_src.pkl"]';
SELECT 'export result is JSON', json_extract(joblib_export('SELECT * FROM src', 'tables_src.pkl'), '$[0]') = 'tables_src.pkl';
SELECT 'export is a dict', (SELECT type FROM joblib_tree('tables_src.pkl') WHERE fullkey = '$') = 'dict';
SELECT 'export keys in order', (SELECT group_concat(key, ',') FROM joblib_each('tables_src.pkl')) = 'i,r,t,b,ni,m';
SELECT 'export dtypes', (SELECT group_concat(dtype, ',') FROM joblib_each('tables_src.pkl')) = '<i8,<f8,|O,|O,<f8,|O';
SELECT 'export shapes', (SELECT group_concat(shape, ',') FROM joblib_each('tables_src.pkl')) = '[4],[4],[4],[4],[4],[4]';
SELECT 'export i8 bytes', hex(joblib_load('tables_src.pkl', '$.i')) =
  '0100000000000000' || '0000000000000080' || 'FFFFFFFFFFFFFF7F' || '0000000000000000';
SELECT 'export int64 min', joblib_load('tables_src.pkl', '$.i[1]') = -9223372036854775808;
SELECT 'export real', joblib_load('tables_src.pkl', '$.r[1]') = -1e300;
SELECT 'export NULL in INTEGER is NaN', joblib_load('tables_src.pkl', '$.ni[1]') IS NULL;
SELECT 'export NaN bytes', hex(joblib_load('tables_src.pkl', '$.ni')) =
  '0000000000002440' || '000000000000F87F' || '0000000000003E40' || '000000000000F87F';
SELECT 'export text', joblib_load('tables_src.pkl', '$.t[1]') = 'h' || char(233) || 'llo';
SELECT 'export empty text', joblib_load('tables_src.pkl', '$.t[2]') = '';
SELECT 'export blob', joblib_load('tables_src.pkl', '$.b[0]') = x'00ff';
SELECT 'export empty blob', typeof(joblib_load('tables_src.pkl', '$.b[1]')) = 'blob';
SELECT 'export mixed column', json(joblib_load('tables_src.pkl', '$.m')) = '[1,"two",2.5,null]';
SELECT 'export compression none', joblib_info('tables_src.pkl') ->> 'compression' = 'none';

-- compressed exports
SELECT 'export gzip', joblib_export('SELECT * FROM src', 'tables_src_gz.pkl', 'gzip') = '["tables_src_gz.pkl"]';
SELECT 'export gzip container', joblib_info('tables_src_gz.pkl') ->> 'compression' = 'gzip';
SELECT 'export level', joblib_export('SELECT * FROM src', 'tables_src_z.pkl', 9) = '["tables_src_z.pkl"]';
SELECT 'export level container', joblib_info('tables_src_z.pkl') ->> 'compression' = 'zlib';
SELECT 'export by extension', joblib_export('SELECT * FROM src', 'tables_src.pkl.bz2') = '["tables_src.pkl.bz2"]';
SELECT 'export extension container', joblib_info('tables_src.pkl.bz2') ->> 'compression' = 'bz2';

-- the round trip: the exported file attached is the table, both ways
CREATE VIRTUAL TABLE temp.rt USING joblib('tables_src.pkl');
CREATE VIRTUAL TABLE temp.rt_gz USING joblib('tables_src_gz.pkl');
CREATE VIRTUAL TABLE temp.rt_bz2 USING joblib('tables_src.pkl.bz2');
SELECT 'round trip src-rt', NOT EXISTS (SELECT * FROM src EXCEPT SELECT * FROM rt);
SELECT 'round trip rt-src', NOT EXISTS (SELECT * FROM rt EXCEPT SELECT * FROM src);
SELECT 'round trip gzip src-rt', NOT EXISTS (SELECT * FROM src EXCEPT SELECT * FROM rt_gz);
SELECT 'round trip gzip rt-src', NOT EXISTS (SELECT * FROM rt_gz EXCEPT SELECT * FROM src);
SELECT 'round trip bz2 src-rt', NOT EXISTS (SELECT * FROM src EXCEPT SELECT * FROM rt_bz2);
SELECT 'round trip bz2 rt-src', NOT EXISTS (SELECT * FROM rt_bz2 EXCEPT SELECT * FROM src);
SELECT 'round trip count', (SELECT count(*) FROM rt) = 4;
SELECT 'declared types', (SELECT group_concat(name || ':' || type, ',') FROM pragma_table_info('rt')) =
  'i:INTEGER,r:REAL,t:TEXT,b:BLOB,ni:REAL,m:';
SELECT 'value types', (SELECT group_concat(typeof(m), ',') FROM rt) = 'integer,text,real,null';
SELECT 'rowid is the row index', (SELECT t FROM rt WHERE rowid = 3) = 'quote''s';
SELECT 'rowid range', (SELECT group_concat(rowid, ',') FROM rt WHERE rowid >= 1 AND rowid < 3) = '1,2';
SELECT 'limit', (SELECT group_concat(i, ',') FROM (SELECT i FROM rt LIMIT 2)) = '1,-9223372036854775808';

-- no rows: empty arrays, typed by the declared types
SELECT 'export no rows', joblib_export('SELECT * FROM src WHERE 0', 'tables_empty.pkl') = '["tables_empty.pkl"]';
SELECT 'no rows dtypes', (SELECT group_concat(dtype || shape, ',') FROM joblib_each('tables_empty.pkl')) =
  '<i8[0],<f8[0],|O[0],|O[0],<i8[0],|O[0]';
CREATE VIRTUAL TABLE temp.empty_t USING joblib('tables_empty.pkl');
SELECT 'no rows attach', (SELECT count(*) FROM empty_t) = 0;

-- tables over fixtures written by real joblib
CREATE VIRTUAL TABLE temp.cols USING joblib('columns.pkl');
SELECT 'columns.pkl types', (SELECT group_concat(name || ':' || type, ',') FROM pragma_table_info('cols')) =
  'id:INTEGER,x:REAL,name:TEXT';
SELECT 'columns.pkl rows', (SELECT group_concat(id || '/' || quote(x) || '/' || quote(name), ' ') FROM cols) =
  '0/0.5/''a'' 1/1.5/''b'' 2/NULL/NULL';
CREATE VIRTUAL TABLE temp.cols_z USING joblib('columns.pkl.z');
SELECT 'columns.pkl.z same', NOT EXISTS (SELECT * FROM cols EXCEPT SELECT * FROM cols_z);
CREATE VIRTUAL TABLE temp.st USING joblib('dtypes.pkl', '$.struct');
SELECT 'structured types', (SELECT group_concat(name || ':' || type, ',') FROM pragma_table_info('st')) = 'x:INTEGER,y:REAL';
SELECT 'structured rows', (SELECT group_concat(x || '/' || y, ' ') FROM st) = '1/0.5 -2/-1.25 3/1.0e+300';
CREATE VIRTUAL TABLE temp.nst USING joblib('dtypes.pkl', '$.nested');
SELECT 'nested structured field as JSON', (SELECT json_extract(p, '$.b') FROM nst WHERE rowid = 0) = -300;
SELECT 'nested structured float', (SELECT q FROM nst WHERE rowid = 0) = 1.5;
CREATE VIRTUAL TABLE temp.seedrec USING joblib('seed.pkl');
SELECT 'list of tuples', (SELECT group_concat(c0, ',') FROM seedrec) = 'a,b';
SELECT 'list of tuples columns', (SELECT group_concat(name || ':' || type, ',') FROM pragma_table_info('seedrec')) = 'c0:TEXT,c1:';
CREATE VIRTUAL TABLE temp.mat USING joblib('matrix.pkl');
SELECT 'matrix', (SELECT group_concat(c0 || '/' || c1, ' ') FROM mat) = '1/2 3/4';

-- DROP TABLE forgets the bundle; the file stays
DROP TABLE temp.rt;
SELECT 'file kept after DROP', joblib_load('tables_src.pkl', '$.i[0]') = 1;

-- errors
-- error: SELECT joblib_export('SELECT * FROM no_such_table', 'tables_never.pkl') => joblib: joblib_export(): cannot prepare select_sql: no such table: no_such_table
-- error: SELECT joblib_export('CREATE TABLE x(a)', 'tables_never.pkl') => joblib: joblib_export(): select_sql must be a query that does not change the database
-- error: SELECT joblib_export('SELECT 1 AS a, 2 AS a', 'tables_never.pkl') => joblib: joblib_export(): column name 'a' appears twice
-- error: SELECT joblib_export('SELECT 1', 'tables_never.pkl', 'zip') => joblib: joblib_export(): unknown compressor 'zip'
-- error: CREATE VIRTUAL TABLE t USING joblib('seed.pkl', '$[1][1]') => joblib: not table-shaped: a 1-D ndarray
-- error: CREATE VIRTUAL TABLE t USING joblib('plain.pkl') => joblib: not table-shaped: column 'a' is an int, not a 1-D array or a list
-- error: CREATE VIRTUAL TABLE t USING joblib('shapes.pkl') => joblib: not table-shaped: column
-- error: CREATE VIRTUAL TABLE t USING joblib('no-such-file.pkl') => joblib: cannot open 'no-such-file.pkl'
-- error: CREATE VIRTUAL TABLE t USING joblib('garbage.pkl') => joblib:
-- error: CREATE VIRTUAL TABLE t USING joblib() => joblib: CREATE VIRTUAL TABLE t USING joblib(src [, path]) takes 1 or 2 arguments, not 0
-- error: CREATE VIRTUAL TABLE t USING joblib('columns.pkl'); INSERT INTO t VALUES (1, 2, 3) => table t may not be modified
