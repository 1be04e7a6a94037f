-- Reading the bundles of tests/fixtures/make_fixtures.py (written by real
-- joblib 1.2 / numpy 1.24; expected values as in its manifest.json).
-- Every row must be `name|1`; run by tests/sql/run_sql_test.py in the
-- fixtures directory. readfile() is the sqlite3 shell's.

-- seed: [('a', [1, 2, 3]), ('b', np.arange(10))], protocol 4, 333 bytes
SELECT 'seed $[0][0]', joblib_load('seed.pkl', '$[0][0]') = 'a';
SELECT 'seed $[0][1][2]', joblib_load('seed.pkl', '$[0][1][2]') = 3;
SELECT 'seed $[0][1][#-1]', joblib_load('seed.pkl', '$[0][1][#-1]') = 3;
SELECT 'seed $[1][1] type', typeof(joblib_load('seed.pkl', '$[1][1]')) = 'blob';
SELECT 'seed $[1][1] bytes', hex(joblib_load('seed.pkl', '$[1][1]')) =
  '0000000000000000' || '0100000000000000' || '0200000000000000' || '0300000000000000' ||
  '0400000000000000' || '0500000000000000' || '0600000000000000' || '0700000000000000' ||
  '0800000000000000' || '0900000000000000';
SELECT 'seed $[1][1][3]', joblib_load('seed.pkl', '$[1][1][3]') = 3;
SELECT 'seed $[1][1][#-1]', joblib_load('seed.pkl', '$[1][1][#-1]') = 9;
SELECT 'seed default path', json(joblib_load('seed.pkl')) = json('[["a",[1,2,3]],["b",[0,1,2,3,4,5,6,7,8,9]]]');
SELECT 'seed $ path', joblib_load('seed.pkl', '$') = joblib_load('seed.pkl');
SELECT 'seed $[0] json', json(joblib_load('seed.pkl', '$[0]')) = '["a",[1,2,3]]';
SELECT 'seed json subtype', json_extract(joblib_load('seed.pkl', '$[0]'), '$[1][2]') = 3;
SELECT 'seed missing index', joblib_load('seed.pkl', '$[2]') IS NULL;
SELECT 'seed missing nested', joblib_load('seed.pkl', '$[0][5]') IS NULL;
SELECT 'seed missing key', joblib_load('seed.pkl', '$.a') IS NULL;
SELECT 'NULL src', joblib_load(NULL) IS NULL;
SELECT 'seed info format', json_extract(joblib_info('seed.pkl'), '$.format') = 'joblib';
SELECT 'seed info compression', json_extract(joblib_info('seed.pkl'), '$.compression') = 'none';
SELECT 'seed info protocol', json_extract(joblib_info('seed.pkl'), '$.protocol') = 4;
SELECT 'seed info python', json_extract(joblib_info('seed.pkl'), '$.python') = 3;
SELECT 'seed info one array', json_array_length(joblib_info('seed.pkl'), '$.arrays') = 1;
SELECT 'seed info array path', json_extract(joblib_info('seed.pkl'), '$.arrays[0].path') = '$[1][1]';
SELECT 'seed info array dtype', json_extract(joblib_info('seed.pkl'), '$.arrays[0].dtype') = '<i8';
SELECT 'seed info array shape', json_extract(joblib_info('seed.pkl'), '$.arrays[0].shape') = '[10]';
SELECT 'seed info array order', json_extract(joblib_info('seed.pkl'), '$.arrays[0].order') = 'C';
SELECT 'seed info array nbytes', json_extract(joblib_info('seed.pkl'), '$.arrays[0].nbytes') = 80;
SELECT 'seed info array offset', json_extract(joblib_info('seed.pkl'), '$.arrays[0].offset') = 240;
SELECT 'seed info files', json_array_length(joblib_info('seed.pkl'), '$.files') = 1;
SELECT 'seed from a BLOB', joblib_load(readfile('seed.pkl'), '$[1][1]') = joblib_load('seed.pkl', '$[1][1]');
SELECT 'seed info of a BLOB', json_extract(joblib_info(readfile('seed.pkl')), '$.arrays[0].offset') = 240;
SELECT 'seed tree rows', (SELECT group_concat(fullkey || ':' || type, ' ') FROM joblib_tree('seed.pkl')) =
  '$:list $[0]:tuple $[0][0]:str $[0][1]:list $[0][1][0]:int $[0][1][1]:int $[0][1][2]:int $[1]:tuple $[1][0]:str $[1][1]:ndarray';
SELECT 'seed tree array row', (SELECT dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('seed.pkl')
  WHERE fullkey = '$[1][1]') = '<i8 [10] 80';
SELECT 'seed tree atom', (SELECT atom FROM joblib_tree('seed.pkl') WHERE fullkey = '$[0][0]') = 'a';
SELECT 'seed tree parents', (SELECT count(*) FROM joblib_tree('seed.pkl') AS c
  JOIN joblib_tree('seed.pkl') AS p ON c.parent = p.id) = 9;
SELECT 'seed tree root', (SELECT group_concat(fullkey, ' ') FROM joblib_tree('seed.pkl', '$[0]')) =
  '$[0] $[0][0] $[0][1] $[0][1][0] $[0][1][1] $[0][1][2]';
SELECT 'seed each root', (SELECT group_concat(key || '=' || type, ',') FROM joblib_each('seed.pkl')) = '0=tuple,1=tuple';
SELECT 'seed each array', (SELECT count(*) || ' ' || sum(value) FROM joblib_each('seed.pkl', '$[1][1]')) = '10 45';
SELECT 'seed each array row', (SELECT value FROM joblib_each('seed.pkl', '$[1][1]') WHERE key = 7) = 7;
SELECT 'seed noalign', joblib_load('seed_noalign.pkl', '$[1][1]') = joblib_load('seed.pkl', '$[1][1]');
SELECT 'seed noalign offset', json_extract(joblib_info('seed_noalign.pkl'), '$.arrays[0].offset') = 236;

-- the seed example through every compressor (level 3): same stream, same offset
SELECT 'seed' || column1 || ' data', joblib_load('seed.pkl' || column1, '$[1][1]') = joblib_load('seed.pkl', '$[1][1]')
  FROM (VALUES ('.z'), ('.gz'), ('.bz2'), ('.xz'), ('.lzma'), ('.lz4'));
SELECT 'seed' || column1 || ' text', joblib_load('seed.pkl' || column1, '$[0][0]') = 'a'
  FROM (VALUES ('.z'), ('.gz'), ('.bz2'), ('.xz'), ('.lzma'), ('.lz4'));
SELECT 'seed' || column1 || ' compression', json_extract(joblib_info('seed.pkl' || column1), '$.compression') = column2
  FROM (VALUES ('.z', 'zlib'), ('.gz', 'gzip'), ('.bz2', 'bz2'), ('.xz', 'xz'), ('.lzma', 'lzma'), ('.lz4', 'lz4'));
SELECT 'seed' || column1 || ' offset', json_extract(joblib_info('seed.pkl' || column1), '$.arrays[0].offset') = 240
  FROM (VALUES ('.z'), ('.gz'), ('.bz2'), ('.xz'), ('.lzma'), ('.lz4'));
SELECT 'seed' || column1 || ' as a BLOB', joblib_load(readfile('seed.pkl' || column1), '$[1][1]') = joblib_load('seed.pkl', '$[1][1]')
  FROM (VALUES ('.z'), ('.gz'), ('.bz2'), ('.xz'), ('.lzma'), ('.lz4'));

-- the seed example at protocols 0..5
SELECT 'seed_p' || column1 || ' data', joblib_load('seed_p' || column1 || '.pkl', '$[1][1]') = joblib_load('seed.pkl', '$[1][1]')
  FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'seed_p' || column1 || ' tree', (SELECT group_concat(fullkey || ':' || type, ' ') FROM joblib_tree('seed_p' || column1 || '.pkl')) =
  '$:list $[0]:tuple $[0][0]:str $[0][1]:list $[0][1][0]:int $[0][1][1]:int $[0][1][2]:int $[1]:tuple $[1][0]:str $[1][1]:ndarray'
  FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'seed_p' || column1 || ' protocol', json_extract(joblib_info('seed_p' || column1 || '.pkl'), '$.protocol') = column1
  FROM (VALUES (2), (3), (4), (5));
SELECT 'seed_p2 offset', json_extract(joblib_info('seed_p2.pkl'), '$.arrays[0].offset') = 288;

-- proto_N: [1, 'text', b'bytes', arange(4,'<i4'), {'k': 2.5}, (1, 2), 2**70, True, None, {1, 2}, bytearray(b'ba')]
SELECT 'proto_' || column1 || ' int', joblib_load('proto_' || column1 || '.pkl', '$[0]') = 1 FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'proto_' || column1 || ' str', joblib_load('proto_' || column1 || '.pkl', '$[1]') = 'text' FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'proto_' || column1 || ' bytes', joblib_load('proto_' || column1 || '.pkl', '$[2]') = CAST('bytes' AS BLOB) FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'proto_' || column1 || ' array', joblib_load('proto_' || column1 || '.pkl', '$[3]') = x'00000000010000000200000003000000' FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'proto_' || column1 || ' dict', joblib_load('proto_' || column1 || '.pkl', '$[4].k') = 2.5 FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'proto_' || column1 || ' tuple', json(joblib_load('proto_' || column1 || '.pkl', '$[5]')) = '[1,2]' FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'proto_' || column1 || ' big int', joblib_load('proto_' || column1 || '.pkl', '$[6]') = '1180591620717411303424' FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'proto_' || column1 || ' bool', joblib_load('proto_' || column1 || '.pkl', '$[7]') IS 1 FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'proto_' || column1 || ' None', joblib_load('proto_' || column1 || '.pkl', '$[8]') IS NULL FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'proto_' || column1 || ' set', (SELECT type FROM joblib_tree('proto_' || column1 || '.pkl') WHERE fullkey = '$[9]') = 'set' FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'proto_' || column1 || ' bytearray', joblib_load('proto_' || column1 || '.pkl', '$[10]') = CAST('ba' AS BLOB) FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'proto_' || column1 || ' bytearray type', (SELECT type FROM joblib_tree('proto_' || column1 || '.pkl') WHERE fullkey = '$[10]') = 'bytearray' FROM (VALUES (0), (1), (2), (3), (4), (5));
SELECT 'proto_' || column1 || ' types', (SELECT group_concat(type, ',') FROM joblib_each('proto_' || column1 || '.pkl')) =
  'int,str,bytes,ndarray,dict,tuple,int,bool,null,set,bytearray' FROM (VALUES (0), (1), (2), (3), (4), (5));

-- dtypes.pkl: dict: one array per dtype kind (values: C order, native byte order)
SELECT 'dtypes $.b1', joblib_load('dtypes.pkl', '$.b1') = x'010001';
SELECT 'dtypes $.i1', joblib_load('dtypes.pkl', '$.i1') = x'80ff007f';
SELECT 'dtypes $.i2', joblib_load('dtypes.pkl', '$.i2') = x'0080ffff0100ff7f';
SELECT 'dtypes $.i4', joblib_load('dtypes.pkl', '$.i4') = x'00000080ffffffff01000000ffffff7f';
SELECT 'dtypes $.i8', joblib_load('dtypes.pkl', '$.i8') = x'0000000000000080ffffffffffffffff0100000000000000ffffffffffffff7f';
SELECT 'dtypes $.u1', joblib_load('dtypes.pkl', '$.u1') = x'0001ff';
SELECT 'dtypes $.u2', joblib_load('dtypes.pkl', '$.u2') = x'00000100ffff';
SELECT 'dtypes $.u4', joblib_load('dtypes.pkl', '$.u4') = x'0000000001000000ffffffff';
SELECT 'dtypes $.u8', joblib_load('dtypes.pkl', '$.u8') = x'00000000000000000100000000000000ffffffffffffffff';
SELECT 'dtypes $.f2', joblib_load('dtypes.pkl', '$.f2') = x'003800c0ff7b';
SELECT 'dtypes $.f4', joblib_load('dtypes.pkl', '$.f4') = x'0000803e0000c0bf9ec97f7f';
SELECT 'dtypes $.f8', joblib_load('dtypes.pkl', '$.f8') = x'9a9999999999b93f00000000000004c0a0c8eb85f3cce17f0100000000000000';
SELECT 'dtypes $.f16', joblib_load('dtypes.pkl', '$.f16') = x'0000000000000080ff3f0000000000000000000000000080febf00000000000000000000000000c00040000000000000';
SELECT 'dtypes $.c8', joblib_load('dtypes.pkl', '$.c8') = x'0000803f0000004000000080000000bf';
SELECT 'dtypes $.c16', joblib_load('dtypes.pkl', '$.c16') = x'000000000000f03f00000000000000400000000000000ac0000000000000e0bf';
SELECT 'dtypes $.S5', joblib_load('dtypes.pkl', '$.S5') = x'616200000068656c6c6f0000000000';
SELECT 'dtypes $.U3', joblib_load('dtypes.pkl', '$.U3') = x'610000000000000000000000e900000074000000e900000000f601000000000000000000';
SELECT 'dtypes $.V8', joblib_load('dtypes.pkl', '$.V8') = x'0102030405060708ffffffffffffffff';
SELECT 'dtypes $.M8', joblib_load('dtypes.pkl', '$.M8') = x'063226e8d5f2e5150000000000000000';
SELECT 'dtypes $.m8', joblib_load('dtypes.pkl', '$.m8') = x'0100000000000000feffffffffffffff8051010000000000';
SELECT 'dtypes $.struct', joblib_load('dtypes.pkl', '$.struct') = x'01000000000000000000e03ffeffffff000000000000f4bf030000009c7500883ce4377e';
SELECT 'dtypes $.nested', joblib_load('dtypes.pkl', '$.nested') = x'07d4fe0000c03fff393000000080';
SELECT 'dtypes $.subarray', joblib_load('dtypes.pkl', '$.subarray') = x'01000000000001000000020000000300000004000000050000000200060000000700000008000000090000000a0000000b000000';
SELECT 'dtypes $.b1 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.b1') = 'ndarray |b1 [3] 3';
SELECT 'dtypes $.i1 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.i1') = 'ndarray |i1 [4] 4';
SELECT 'dtypes $.i2 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.i2') = 'ndarray <i2 [4] 8';
SELECT 'dtypes $.i4 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.i4') = 'ndarray <i4 [4] 16';
SELECT 'dtypes $.i8 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.i8') = 'ndarray <i8 [4] 32';
SELECT 'dtypes $.u1 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.u1') = 'ndarray |u1 [3] 3';
SELECT 'dtypes $.u2 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.u2') = 'ndarray <u2 [3] 6';
SELECT 'dtypes $.u4 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.u4') = 'ndarray <u4 [3] 12';
SELECT 'dtypes $.u8 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.u8') = 'ndarray <u8 [3] 24';
SELECT 'dtypes $.f2 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.f2') = 'ndarray <f2 [3] 6';
SELECT 'dtypes $.f4 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.f4') = 'ndarray <f4 [3] 12';
SELECT 'dtypes $.f8 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.f8') = 'ndarray <f8 [4] 32';
SELECT 'dtypes $.f16 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.f16') = 'ndarray <f16 [3] 48';
SELECT 'dtypes $.c8 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.c8') = 'ndarray <c8 [2] 16';
SELECT 'dtypes $.c16 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.c16') = 'ndarray <c16 [2] 32';
SELECT 'dtypes $.S5 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.S5') = 'ndarray |S5 [3] 15';
SELECT 'dtypes $.U3 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.U3') = 'ndarray <U3 [3] 36';
SELECT 'dtypes $.V8 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.V8') = 'ndarray |V8 [2] 16';
SELECT 'dtypes $.M8 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.M8') = 'ndarray <M8[ns] [2] 16';
SELECT 'dtypes $.m8 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('dtypes.pkl') WHERE fullkey = '$.m8') = 'ndarray <m8[s] [3] 24';
SELECT 'dtypes info arrays', json_array_length(joblib_info('dtypes.pkl'), '$.arrays') = 23;
SELECT 'dtypes $.b1 info', (SELECT json_extract(value, '$.dtype') = '|b1' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 3 AND json_extract(value, '$.offset') = 224 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.b1');
SELECT 'dtypes $.i1 info', (SELECT json_extract(value, '$.dtype') = '|i1' AND json_extract(value, '$.shape') = '[4]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 4 AND json_extract(value, '$.offset') = 320 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.i1');
SELECT 'dtypes $.i2 info', (SELECT json_extract(value, '$.dtype') = '<i2' AND json_extract(value, '$.shape') = '[4]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 8 AND json_extract(value, '$.offset') = 416 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.i2');
SELECT 'dtypes $.i4 info', (SELECT json_extract(value, '$.dtype') = '<i4' AND json_extract(value, '$.shape') = '[4]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 16 AND json_extract(value, '$.offset') = 512 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.i4');
SELECT 'dtypes $.i8 info', (SELECT json_extract(value, '$.dtype') = '<i8' AND json_extract(value, '$.shape') = '[4]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 32 AND json_extract(value, '$.offset') = 624 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.i8');
SELECT 'dtypes $.u1 info', (SELECT json_extract(value, '$.dtype') = '|u1' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 3 AND json_extract(value, '$.offset') = 752 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.u1');
SELECT 'dtypes $.u2 info', (SELECT json_extract(value, '$.dtype') = '<u2' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 6 AND json_extract(value, '$.offset') = 848 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.u2');
SELECT 'dtypes $.u4 info', (SELECT json_extract(value, '$.dtype') = '<u4' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 12 AND json_extract(value, '$.offset') = 944 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.u4');
SELECT 'dtypes $.u8 info', (SELECT json_extract(value, '$.dtype') = '<u8' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 24 AND json_extract(value, '$.offset') = 1056 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.u8');
SELECT 'dtypes $.f2 info', (SELECT json_extract(value, '$.dtype') = '<f2' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 6 AND json_extract(value, '$.offset') = 1168 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.f2');
SELECT 'dtypes $.f4 info', (SELECT json_extract(value, '$.dtype') = '<f4' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 12 AND json_extract(value, '$.offset') = 1264 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.f4');
SELECT 'dtypes $.f8 info', (SELECT json_extract(value, '$.dtype') = '<f8' AND json_extract(value, '$.shape') = '[4]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 32 AND json_extract(value, '$.offset') = 1376 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.f8');
SELECT 'dtypes $.f16 info', (SELECT json_extract(value, '$.dtype') = '<f16' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 48 AND json_extract(value, '$.offset') = 1504 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.f16');
SELECT 'dtypes $.c8 info', (SELECT json_extract(value, '$.dtype') = '<c8' AND json_extract(value, '$.shape') = '[2]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 16 AND json_extract(value, '$.offset') = 1648 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.c8');
SELECT 'dtypes $.c16 info', (SELECT json_extract(value, '$.dtype') = '<c16' AND json_extract(value, '$.shape') = '[2]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 32 AND json_extract(value, '$.offset') = 1760 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.c16');
SELECT 'dtypes $.S5 info', (SELECT json_extract(value, '$.dtype') = '|S5' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 15 AND json_extract(value, '$.offset') = 1872 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.S5');
SELECT 'dtypes $.U3 info', (SELECT json_extract(value, '$.dtype') = '<U3' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 36 AND json_extract(value, '$.offset') = 1968 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.U3');
SELECT 'dtypes $.V8 info', (SELECT json_extract(value, '$.dtype') = '|V8' AND json_extract(value, '$.shape') = '[2]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 16 AND json_extract(value, '$.offset') = 2096 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.V8');
SELECT 'dtypes $.M8 info', (SELECT json_extract(value, '$.dtype') = '<M8[ns]' AND json_extract(value, '$.shape') = '[2]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 16 AND json_extract(value, '$.offset') = 2224 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.M8');
SELECT 'dtypes $.m8 info', (SELECT json_extract(value, '$.dtype') = '<m8[s]' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 24 AND json_extract(value, '$.offset') = 2352 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.m8');
SELECT 'dtypes $.struct info', (SELECT json_extract(value, '$.dtype') = json('[["x","<i4"],["y",">f8"]]') AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 36 AND json_extract(value, '$.offset') = 2528 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.struct');
SELECT 'dtypes $.nested info', (SELECT json_extract(value, '$.dtype') = json('[["p",[["a","|u1"],["b",">i2"]]],["q","<f4"]]') AND json_extract(value, '$.shape') = '[2]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 14 AND json_extract(value, '$.offset') = 2768 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.nested');
SELECT 'dtypes $.subarray info', (SELECT json_extract(value, '$.dtype') = json('[["id","<u2"],["m","<i4",[2,3]]]') AND json_extract(value, '$.shape') = '[2]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 52 AND json_extract(value, '$.offset') = 2944 FROM json_each(joblib_info('dtypes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.subarray');

-- bigendian.pkl: dict of big-endian arrays (values: C order, native byte order)
SELECT 'bigendian $.i2', joblib_load('bigendian.pkl', '$.i2') = x'0100feff0201';
SELECT 'bigendian $.i4', joblib_load('bigendian.pkl', '$.i4') = x'00000000010001000200020003000300';
SELECT 'bigendian $.i8', joblib_load('bigendian.pkl', '$.i8') = x'0100000000000000ffffffffffffffff0000000000010000';
SELECT 'bigendian $.u4', joblib_load('bigendian.pkl', '$.u4') = x'01000000ffffffff';
SELECT 'bigendian $.f4', joblib_load('bigendian.pkl', '$.f4') = x'0000c03f000080be';
SELECT 'bigendian $.f8', joblib_load('bigendian.pkl', '$.f8') = x'000000000000f83f000000000000d0bf59f3f8c21f6ea501';
SELECT 'bigendian $.c16', joblib_load('bigendian.pkl', '$.c16') = x'000000000000f03f0000000000000040';
SELECT 'bigendian $.U3', joblib_load('bigendian.pkl', '$.U3') = x'610000006200000000000000e9000000e9000000e9000000';
SELECT 'bigendian $.M8', joblib_load('bigendian.pkl', '$.M8') = x'5c2c000000000000';
SELECT 'bigendian $.struct', joblib_load('bigendian.pkl', '$.struct') = x'010000000000000000000440';
SELECT 'bigendian $.matrix2d', joblib_load('bigendian.pkl', '$.matrix2d') = x'0000000000000000000000000000f03f0000000000000040000000000000084000000000000010400000000000001440';
SELECT 'bigendian $.i2 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('bigendian.pkl') WHERE fullkey = '$.i2') = 'ndarray <i2 [3] 6';
SELECT 'bigendian $.i4 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('bigendian.pkl') WHERE fullkey = '$.i4') = 'ndarray <i4 [4] 16';
SELECT 'bigendian $.i8 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('bigendian.pkl') WHERE fullkey = '$.i8') = 'ndarray <i8 [3] 24';
SELECT 'bigendian $.u4 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('bigendian.pkl') WHERE fullkey = '$.u4') = 'ndarray <u4 [2] 8';
SELECT 'bigendian $.f4 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('bigendian.pkl') WHERE fullkey = '$.f4') = 'ndarray <f4 [2] 8';
SELECT 'bigendian $.f8 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('bigendian.pkl') WHERE fullkey = '$.f8') = 'ndarray <f8 [3] 24';
SELECT 'bigendian $.c16 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('bigendian.pkl') WHERE fullkey = '$.c16') = 'ndarray <c16 [1] 16';
SELECT 'bigendian $.U3 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('bigendian.pkl') WHERE fullkey = '$.U3') = 'ndarray <U3 [2] 24';
SELECT 'bigendian $.M8 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('bigendian.pkl') WHERE fullkey = '$.M8') = 'ndarray <M8[D] [1] 8';
SELECT 'bigendian $.matrix2d tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('bigendian.pkl') WHERE fullkey = '$.matrix2d') = 'ndarray <f8 [2,3] 48';
SELECT 'bigendian info arrays', json_array_length(joblib_info('bigendian.pkl'), '$.arrays') = 11;
SELECT 'bigendian $.i2 info', (SELECT json_extract(value, '$.dtype') = '>i2' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 6 AND json_extract(value, '$.offset') = 224 FROM json_each(joblib_info('bigendian.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.i2');
SELECT 'bigendian $.i4 info', (SELECT json_extract(value, '$.dtype') = '>i4' AND json_extract(value, '$.shape') = '[4]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 16 AND json_extract(value, '$.offset') = 320 FROM json_each(joblib_info('bigendian.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.i4');
SELECT 'bigendian $.i8 info', (SELECT json_extract(value, '$.dtype') = '>i8' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 24 AND json_extract(value, '$.offset') = 432 FROM json_each(joblib_info('bigendian.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.i8');
SELECT 'bigendian $.u4 info', (SELECT json_extract(value, '$.dtype') = '>u4' AND json_extract(value, '$.shape') = '[2]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 8 AND json_extract(value, '$.offset') = 544 FROM json_each(joblib_info('bigendian.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.u4');
SELECT 'bigendian $.f4 info', (SELECT json_extract(value, '$.dtype') = '>f4' AND json_extract(value, '$.shape') = '[2]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 8 AND json_extract(value, '$.offset') = 640 FROM json_each(joblib_info('bigendian.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.f4');
SELECT 'bigendian $.f8 info', (SELECT json_extract(value, '$.dtype') = '>f8' AND json_extract(value, '$.shape') = '[3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 24 AND json_extract(value, '$.offset') = 736 FROM json_each(joblib_info('bigendian.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.f8');
SELECT 'bigendian $.c16 info', (SELECT json_extract(value, '$.dtype') = '>c16' AND json_extract(value, '$.shape') = '[1]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 16 AND json_extract(value, '$.offset') = 848 FROM json_each(joblib_info('bigendian.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.c16');
SELECT 'bigendian $.U3 info', (SELECT json_extract(value, '$.dtype') = '>U3' AND json_extract(value, '$.shape') = '[2]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 24 AND json_extract(value, '$.offset') = 944 FROM json_each(joblib_info('bigendian.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.U3');
SELECT 'bigendian $.M8 info', (SELECT json_extract(value, '$.dtype') = '>M8[D]' AND json_extract(value, '$.shape') = '[1]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 8 AND json_extract(value, '$.offset') = 1072 FROM json_each(joblib_info('bigendian.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.M8');
SELECT 'bigendian $.struct info', (SELECT json_extract(value, '$.dtype') = json('[["x",">i4"],["y",">f8"]]') AND json_extract(value, '$.shape') = '[1]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 12 AND json_extract(value, '$.offset') = 1264 FROM json_each(joblib_info('bigendian.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.struct');
SELECT 'bigendian $.matrix2d info', (SELECT json_extract(value, '$.dtype') = '>f8' AND json_extract(value, '$.shape') = '[2,3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 48 AND json_extract(value, '$.offset') = 1376 FROM json_each(joblib_info('bigendian.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.matrix2d');

-- orders.pkl: dict of F-order, C-order and strided arrays (values: C order, native byte order)
SELECT 'orders $.f2d', joblib_load('orders.pkl', '$.f2d') = x'000001000200030004000500';
SELECT 'orders $.f3d', joblib_load('orders.pkl', '$.f3d') = x'000000000000803f0000004000004040000080400000a0400000c0400000e0400000004100001041000020410000304100004041000050410000604100007041000080410000884100009041000098410000a0410000a8410000b0410000b841';
SELECT 'orders $.fbe', joblib_load('orders.pkl', '$.fbe') = x'000001000200030004000500';
SELECT 'orders $.c2d', joblib_load('orders.pkl', '$.c2d') = x'000000000100000002000000030000000400000005000000060000000700000008000000090000000a0000000b000000';
SELECT 'orders $.strided', joblib_load('orders.pkl', '$.strided') = x'00020406080a';
SELECT 'orders $.transposed', joblib_load('orders.pkl', '$.transposed') = x'000000000000000003000000000000000100000000000000040000000000000002000000000000000500000000000000';
SELECT 'orders $.f2d tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('orders.pkl') WHERE fullkey = '$.f2d') = 'ndarray <i2 [2,3] 12';
SELECT 'orders $.f3d tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('orders.pkl') WHERE fullkey = '$.f3d') = 'ndarray <f4 [2,3,4] 96';
SELECT 'orders $.fbe tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('orders.pkl') WHERE fullkey = '$.fbe') = 'ndarray <i2 [2,3] 12';
SELECT 'orders $.c2d tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('orders.pkl') WHERE fullkey = '$.c2d') = 'ndarray <i4 [3,4] 48';
SELECT 'orders $.strided tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('orders.pkl') WHERE fullkey = '$.strided') = 'ndarray |u1 [3,2] 6';
SELECT 'orders $.transposed tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('orders.pkl') WHERE fullkey = '$.transposed') = 'ndarray <i8 [3,2] 48';
SELECT 'orders info arrays', json_array_length(joblib_info('orders.pkl'), '$.arrays') = 6;
SELECT 'orders $.f2d info', (SELECT json_extract(value, '$.dtype') = '<i2' AND json_extract(value, '$.shape') = '[2,3]' AND json_extract(value, '$.order') = 'F' AND json_extract(value, '$.nbytes') = 12 AND json_extract(value, '$.offset') = 240 FROM json_each(joblib_info('orders.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.f2d');
SELECT 'orders $.f3d info', (SELECT json_extract(value, '$.dtype') = '<f4' AND json_extract(value, '$.shape') = '[2,3,4]' AND json_extract(value, '$.order') = 'F' AND json_extract(value, '$.nbytes') = 96 AND json_extract(value, '$.offset') = 352 FROM json_each(joblib_info('orders.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.f3d');
SELECT 'orders $.fbe info', (SELECT json_extract(value, '$.dtype') = '>i2' AND json_extract(value, '$.shape') = '[2,3]' AND json_extract(value, '$.order') = 'F' AND json_extract(value, '$.nbytes') = 12 AND json_extract(value, '$.offset') = 544 FROM json_each(joblib_info('orders.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.fbe');
SELECT 'orders $.c2d info', (SELECT json_extract(value, '$.dtype') = '<i4' AND json_extract(value, '$.shape') = '[3,4]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 48 AND json_extract(value, '$.offset') = 656 FROM json_each(joblib_info('orders.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.c2d');
SELECT 'orders $.strided info', (SELECT json_extract(value, '$.dtype') = '|u1' AND json_extract(value, '$.shape') = '[3,2]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 6 AND json_extract(value, '$.offset') = 800 FROM json_each(joblib_info('orders.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.strided');
SELECT 'orders $.transposed info', (SELECT json_extract(value, '$.dtype') = '<i8' AND json_extract(value, '$.shape') = '[3,2]' AND json_extract(value, '$.order') = 'F' AND json_extract(value, '$.nbytes') = 48 AND json_extract(value, '$.offset') = 912 FROM json_each(joblib_info('orders.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.transposed');

-- shapes.pkl: dict of 0-d, empty and n-d arrays (values: C order, native byte order)
SELECT 'shapes $.zero_d', joblib_load('shapes.pkl', '$.zero_d') = x'0000000000000c40';
SELECT 'shapes $.zero_d_i4', joblib_load('shapes.pkl', '$.zero_d_i4') = x'f9ffffff';
SELECT 'shapes $.empty_0x3', joblib_load('shapes.pkl', '$.empty_0x3') = x'';
SELECT 'shapes $.empty_1d', joblib_load('shapes.pkl', '$.empty_1d') = x'';
SELECT 'shapes $.empty_3x0', joblib_load('shapes.pkl', '$.empty_3x0') = x'';
SELECT 'shapes $.one', joblib_load('shapes.pkl', '$.one') = x'2a00000000000000';
SELECT 'shapes $.cube', joblib_load('shapes.pkl', '$.cube') = x'00000100020003000400050006000700';
SELECT 'shapes $.zero_d tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('shapes.pkl') WHERE fullkey = '$.zero_d') = 'ndarray <f8 [] 8';
SELECT 'shapes $.zero_d_i4 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('shapes.pkl') WHERE fullkey = '$.zero_d_i4') = 'ndarray <i4 [] 4';
SELECT 'shapes $.empty_0x3 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('shapes.pkl') WHERE fullkey = '$.empty_0x3') = 'ndarray <f8 [0,3] 0';
SELECT 'shapes $.empty_1d tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('shapes.pkl') WHERE fullkey = '$.empty_1d') = 'ndarray <i8 [0] 0';
SELECT 'shapes $.empty_3x0 tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('shapes.pkl') WHERE fullkey = '$.empty_3x0') = 'ndarray <i4 [3,0] 0';
SELECT 'shapes $.one tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('shapes.pkl') WHERE fullkey = '$.one') = 'ndarray <i8 [1] 8';
SELECT 'shapes $.cube tree', (SELECT type || ' ' || dtype || ' ' || shape || ' ' || nbytes FROM joblib_tree('shapes.pkl') WHERE fullkey = '$.cube') = 'ndarray <i2 [2,2,2] 16';
SELECT 'shapes info arrays', json_array_length(joblib_info('shapes.pkl'), '$.arrays') = 7;
SELECT 'shapes $.zero_d info', (SELECT json_extract(value, '$.dtype') = '<f8' AND json_extract(value, '$.shape') = '[]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 8 AND json_extract(value, '$.offset') = 240 FROM json_each(joblib_info('shapes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.zero_d');
SELECT 'shapes $.zero_d_i4 info', (SELECT json_extract(value, '$.dtype') = '<i4' AND json_extract(value, '$.shape') = '[]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 4 AND json_extract(value, '$.offset') = 352 FROM json_each(joblib_info('shapes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.zero_d_i4');
SELECT 'shapes $.empty_0x3 info', (SELECT json_extract(value, '$.dtype') = '<f8' AND json_extract(value, '$.shape') = '[0,3]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 0 AND json_extract(value, '$.offset') = 416 FROM json_each(joblib_info('shapes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.empty_0x3');
SELECT 'shapes $.empty_1d info', (SELECT json_extract(value, '$.dtype') = '<i8' AND json_extract(value, '$.shape') = '[0]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 0 AND json_extract(value, '$.offset') = 512 FROM json_each(joblib_info('shapes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.empty_1d');
SELECT 'shapes $.empty_3x0 info', (SELECT json_extract(value, '$.dtype') = '<i4' AND json_extract(value, '$.shape') = '[3,0]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 0 AND json_extract(value, '$.offset') = 576 FROM json_each(joblib_info('shapes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.empty_3x0');
SELECT 'shapes $.one info', (SELECT json_extract(value, '$.dtype') = '<i8' AND json_extract(value, '$.shape') = '[1]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 8 AND json_extract(value, '$.offset') = 640 FROM json_each(joblib_info('shapes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.one');
SELECT 'shapes $.cube info', (SELECT json_extract(value, '$.dtype') = '<i2' AND json_extract(value, '$.shape') = '[2,2,2]' AND json_extract(value, '$.order') = 'C' AND json_extract(value, '$.nbytes') = 16 AND json_extract(value, '$.offset') = 752 FROM json_each(joblib_info('shapes.pkl'), '$.arrays') WHERE json_extract(value, '$.path') = '$.cube');

-- dtypes.pkl.gz: the same arrays through gzip
SELECT 'dtypes.gz ' || column1, joblib_load('dtypes.pkl.gz', column1) = joblib_load('dtypes.pkl', column1)
  FROM (VALUES ('$.b1'), ('$.i8'), ('$.f16'), ('$.U3'), ('$.M8'), ('$.struct'), ('$.subarray'));
SELECT 'dtypes.gz compression', json_extract(joblib_info('dtypes.pkl.gz'), '$.compression') = 'gzip';

-- elements and rows of arrays by path
SELECT 'element i8[3]', joblib_load('dtypes.pkl', '$.i8[3]') = 9223372036854775807;
SELECT 'element i8[0]', joblib_load('dtypes.pkl', '$.i8[0]') = -9223372036854775808;
SELECT 'element u8[2]', joblib_load('dtypes.pkl', '$.u8[2]') = '18446744073709551615';
SELECT 'element f8[1]', joblib_load('dtypes.pkl', '$.f8[1]') = -2.5;
SELECT 'element big-endian f8', joblib_load('bigendian.pkl', '$.f8[1]') = -0.25;
SELECT 'element big-endian i2', joblib_load('bigendian.pkl', '$.i2[1]') = -2;
SELECT 'element U3', joblib_load('dtypes.pkl', '$.U3[1]') = 'été';
SELECT 'element U3 astral', joblib_load('dtypes.pkl', '$.U3[2]') = '😀';
SELECT 'element big-endian U3', joblib_load('bigendian.pkl', '$.U3[1]') = 'ééé';
SELECT 'row of 2-D', joblib_load('orders.pkl', '$.c2d[1]') = x'04000000050000000600000007000000';
SELECT 'row of F 2-D', joblib_load('orders.pkl', '$.f2d[1]') = x'030004000500';
SELECT 'element of F 2-D', joblib_load('orders.pkl', '$.f2d[1][2]') = 5;
SELECT 'element of strided', joblib_load('orders.pkl', '$.strided[2][1]') = 10;
SELECT 'row past the end', joblib_load('orders.pkl', '$.c2d[3]') IS NULL;
SELECT 'each over 2-D', (SELECT group_concat(hex(value), ',') FROM joblib_each('orders.pkl', '$.f2d')) = '000001000200,030004000500';
SELECT 'each over 2-D types', (SELECT group_concat(type, ',') FROM joblib_each('orders.pkl', '$.f2d')) = 'ndarray,ndarray';
SELECT 'each over big-endian 1-D', (SELECT group_concat(value, ',') FROM joblib_each('bigendian.pkl', '$.i8')) = '1,-1,1099511627776';
SELECT 'each over empty', (SELECT count(*) FROM joblib_each('shapes.pkl', '$.empty_0x3')) = 0;
SELECT 'zero-d value', joblib_load('shapes.pkl', '$.zero_d') = x'0000000000000c40';
SELECT 'empty is a BLOB', typeof(joblib_load('shapes.pkl', '$.empty_0x3')) = 'blob';

-- object arrays (nested pickles)
SELECT 'objects $[0][0]', joblib_load('objects.pkl', '$[0][0]') = 1;
SELECT 'objects $[0][1]', joblib_load('objects.pkl', '$[0][1]') = 'abc';
SELECT 'objects $[0][2].b', joblib_load('objects.pkl', '$[0][2].b') = 2;
SELECT 'objects $[0] json', json(joblib_load('objects.pkl', '$[0]')) = '[1,"abc",{"a":1,"b":2}]';
SELECT 'objects $[1] 2-D', json(joblib_load('objects.pkl', '$[1]')) = '[[1,null],[2.5,"x"]]';
SELECT 'objects $[1][1][1]', joblib_load('objects.pkl', '$[1][1][1]') = 'x';
SELECT 'objects empty', json(joblib_load('objects.pkl', '$[2]')) = '[]';
SELECT 'objects nested array', joblib_load('objects.pkl', '$[3][0]') = x'000000000100000002000000';
SELECT 'objects nested bytes', joblib_load('objects.pkl', '$[3][1]') = CAST('raw' AS BLOB);
SELECT 'objects F order', json(joblib_load('objects.pkl', '$[4]')) = '[[1,2],[3,4]]';
SELECT 'objects tree', (SELECT type || ' ' || dtype || ' ' || shape FROM joblib_tree('objects.pkl') WHERE fullkey = '$[1]') = 'ndarray |O [2,2]';
SELECT 'objects p2 ' || column1, joblib_load('objects_p2.pkl', column1) IS joblib_load('objects.pkl', column1)
  FROM (VALUES ('$[0][1]'), ('$[0][2].a'), ('$[1][1][0]'), ('$[3][0]'), ('$[3][1]'));

-- numpy scalars
SELECT 'scalar f8', joblib_load('scalars.pkl', '$.f8') = 1.5;
SELECT 'scalar f4', joblib_load('scalars.pkl', '$.f4') = -0.25;
SELECT 'scalar i4', joblib_load('scalars.pkl', '$.i4') = -2;
SELECT 'scalar i8', joblib_load('scalars.pkl', '$.i8') = 1099511627776;
SELECT 'scalar u8', joblib_load('scalars.pkl', '$.u8') = '18446744073709551615';
SELECT 'scalar u1', joblib_load('scalars.pkl', '$.u1') = 200;
SELECT 'scalar bool', joblib_load('scalars.pkl', '$.bool') = 1;
SELECT 'scalar str', joblib_load('scalars.pkl', '$.str') = 'hé';
SELECT 'scalar type', (SELECT type || ' ' || dtype FROM joblib_tree('scalars.pkl') WHERE fullkey = '$.f4') = 'scalar <f4';

-- matrix
SELECT 'matrix data', joblib_load('matrix.pkl') = x'0100000000000000020000000000000003000000000000000400000000000000';
SELECT 'matrix class', (SELECT type || ' ' || class || ' ' || shape FROM joblib_tree('matrix.pkl')) = 'ndarray numpy.matrix [2,2]';

-- nested containers and dict keys
SELECT 'nested list', joblib_load('nested.pkl', '$.list[1][1][1][0]') = 4;
SELECT 'nested tuple', joblib_load('nested.pkl', '$.tuple[1][1]') = 3;
SELECT 'nested dict', joblib_load('nested.pkl', '$.dict.a.b.c') = 1;
SELECT 'key int', joblib_load('nested.pkl', '$.keys[1]') = 'one';
SELECT 'key negative int', joblib_load('nested.pkl', '$.keys[-1]') = 'minus one';
SELECT 'key quoted', joblib_load('nested.pkl', '$.keys."x y"') = 'space';
SELECT 'key tuple', joblib_load('nested.pkl', '$.keys[[1,"a"]]') = 'tuple';
SELECT 'key None', joblib_load('nested.pkl', '$.keys[null]') = 'none';
SELECT 'key True', joblib_load('nested.pkl', '$.bools[true]') = 'yes';
SELECT 'key False', joblib_load('nested.pkl', '$.bools[false]') = 'no';
SELECT 'keys json', json(joblib_load('nested.pkl', '$.keys')) = json('{"1":"one","-1":"minus one","x y":"space","[1,\"a\"]":"tuple","null":"none"}');
SELECT 'keys fullkeys', (SELECT group_concat(fullkey, ' ') FROM joblib_each('nested.pkl', '$.keys')) =
  '$.keys[1] $.keys[-1] $.keys."x y" $.keys[[1,"a"]] $.keys[null]';
SELECT 'fullkeys select their node', (SELECT count(*) FROM joblib_tree('nested.pkl') AS t
  WHERE joblib_load('nested.pkl', t.fullkey) IS NOT t.value) = 0;
SELECT 'mixed', joblib_load('nested.pkl', '$.mixed[0].k[1][1].z') IS NULL
  AND (SELECT type FROM joblib_tree('nested.pkl') WHERE fullkey = '$.mixed[0].k[1][1].z') = 'null';
SELECT 'empty containers', (SELECT group_concat(type, ',') FROM joblib_each('nested.pkl', '$.empty')) = 'list,dict,tuple';

-- shared references and cycles
SELECT 'shared rows', (SELECT group_concat(fullkey || ':' || type || ifnull(':' || CASE type WHEN 'ref' THEN value END, ''), ' ')
  FROM joblib_tree('shared.pkl')) =
  '$:list $[0]:list $[0][0]:int $[1]:ref:$[0] $[2]:dict $[2].again:ref:$[0] $[2].d:dict $[2].d.k:str $[3]:ref:$[2].d';
SELECT 'shared load through ref', joblib_load('shared.pkl', '$[1][0]') = 1;
SELECT 'shared load through ref 2', joblib_load('shared.pkl', '$[3].k') = 'v';
SELECT 'selfref rows', (SELECT group_concat(fullkey || ':' || type || ifnull(':' || CASE type WHEN 'ref' THEN value END, ''), ' ')
  FROM joblib_tree('selfref.pkl')) =
  '$:list $[0]:list $[0][0]:int $[0][1]:ref:$[0] $[1]:dict $[1].name:str $[1].self:ref:$[1]';
SELECT 'selfref around the cycle', joblib_load('selfref.pkl', '$[0][1][1][1][0]') = 1;
SELECT 'selfref dict cycle', joblib_load('selfref.pkl', '$[1].self.self.name') = 'loop';
SELECT 'shared array twice', (SELECT group_concat(type, ',') FROM joblib_each('shared_array.pkl')) = 'ndarray,ndarray';

-- ints beyond 64 bits are TEXT
SELECT 'bigint 2**63', joblib_load('bigints.pkl', '$[0]') = '9223372036854775808';
SELECT 'bigint 2**63 type', typeof(joblib_load('bigints.pkl', '$[0]')) = 'text';
SELECT 'bigint -2**100', joblib_load('bigints.pkl', '$[1]') = '-1267650600228229401496703205376';
SELECT 'bigint 2**63-1', joblib_load('bigints.pkl', '$[2]') = 9223372036854775807;
SELECT 'bigint -2**63', joblib_load('bigints.pkl', '$[3]') = -9223372036854775808;
SELECT 'bigint -2**63 type', typeof(joblib_load('bigints.pkl', '$[3]')) = 'integer';
SELECT 'bigint 2**64', joblib_load('bigints.pkl', '$[4]') = '18446744073709551616';
SELECT 'bigint -2**63-1', joblib_load('bigints.pkl', '$[13]') = '-9223372036854775809';
SELECT 'bigint small', (SELECT group_concat(value, ',') FROM joblib_each('bigints.pkl') WHERE key BETWEEN 5 AND 12) =
  '0,-1,255,256,65535,65536,2147483648,-2147483649';
SELECT 'bigint p0 ' || column1, joblib_load('bigints_p0.pkl', column1) IS joblib_load('bigints.pkl', column1)
  FROM (VALUES ('$[0]'), ('$[1]'), ('$[2]'), ('$[3]'), ('$[4]'), ('$[11]'), ('$[12]'), ('$[13]'));

-- floats
SELECT 'float NaN is NULL', joblib_load('floats.pkl', '$[0]') IS NULL;
SELECT 'float NaN type', (SELECT type FROM joblib_tree('floats.pkl') WHERE fullkey = '$[0]') = 'float';
SELECT 'float inf', joblib_load('floats.pkl', '$[1]') = 9e999;
SELECT 'float -inf', joblib_load('floats.pkl', '$[2]') = -9e999;
SELECT 'float -0.0', joblib_load('floats.pkl', '$[3]') = 0.0 AND typeof(joblib_load('floats.pkl', '$[3]')) = 'real';
SELECT 'float 1e308', joblib_load('floats.pkl', '$[4]') = 1e308;
SELECT 'float denormal', joblib_load('floats.pkl', '$[5]') = 4.9406564584124654e-324;
SELECT 'float 0.1', joblib_load('floats.pkl', '$[6]') = 0.1;
SELECT 'float 1.0 is REAL', typeof(joblib_load('floats.pkl', '$[7]')) = 'real';
SELECT 'float json', json_type(joblib_load('floats.pkl'), '$[0]') = 'null'
  AND json_type(joblib_load('floats.pkl'), '$[1]') = 'null'
  AND json_extract(joblib_load('floats.pkl'), '$[6]') = 0.1;
SELECT 'float p0 ' || column1, joblib_load('floats_p0.pkl', column1) IS joblib_load('floats.pkl', column1)
  FROM (VALUES ('$[0]'), ('$[1]'), ('$[2]'), ('$[4]'), ('$[5]'), ('$[6]'));

-- text
SELECT 'text empty', joblib_load('text.pkl', '$[0]') = '' AND typeof(joblib_load('text.pkl', '$[0]')) = 'text';
SELECT 'text latin', joblib_load('text.pkl', '$[2]') = 'C''est l''été !';
SELECT 'text BMP', joblib_load('text.pkl', '$[3]') = 'Ωmega 中文';
SELECT 'text astral', joblib_load('text.pkl', '$[4]') = '😀 astral 𐍈';
SELECT 'text astral length', length(joblib_load('text.pkl', '$[4]')) = 10;
SELECT 'text NUL', hex(joblib_load('text.pkl', '$[5]')) = hex('nul') || '00' || hex('inside');
SELECT 'text escapes', joblib_load('text.pkl', '$[6]') = 'line' || char(10) || 'break' || char(9) || 'tab';
SELECT 'text quotes', joblib_load('text.pkl', '$[7]') = 'quote"back\slash';
SELECT 'text p0 ' || column1, hex(joblib_load('text_p0.pkl', column1)) = hex(joblib_load('text.pkl', column1))
  FROM (VALUES ('$[0]'), ('$[1]'), ('$[2]'), ('$[3]'), ('$[4]'), ('$[5]'), ('$[6]'), ('$[7]'));

-- bytes
SELECT 'bytes empty', joblib_load('bytes.pkl', '$[0]') = x'' AND typeof(joblib_load('bytes.pkl', '$[0]')) = 'blob';
SELECT 'bytes abc', joblib_load('bytes.pkl', '$[1]') = x'616263';
SELECT 'bytes 256', length(joblib_load('bytes.pkl', '$[2]')) = 256
  AND substr(hex(joblib_load('bytes.pkl', '$[2]')), 1, 8) = '00010203'
  AND substr(hex(joblib_load('bytes.pkl', '$[2]')), 505, 8) = 'FCFDFEFF';
SELECT 'bytearray', joblib_load('bytes.pkl', '$[3]') = x'7879';
SELECT 'bytes types', (SELECT group_concat(type, ',') FROM joblib_each('bytes.pkl')) = 'bytes,bytes,bytes,bytearray,bytearray';
SELECT 'bytes json', json_extract(joblib_load('bytes.pkl'), '$[1]') = 'YWJj';
SELECT 'bytes p2 ' || column1, joblib_load('bytes_p2.pkl', column1) = joblib_load('bytes.pkl', column1)
  FROM (VALUES ('$[0]'), ('$[1]'), ('$[2]'), ('$[3]'), ('$[4]'));
SELECT 'bytes p5 ' || column1, joblib_load('bytes_p5.pkl', column1) = joblib_load('bytes.pkl', column1)
  FROM (VALUES ('$[0]'), ('$[1]'), ('$[2]'), ('$[3]'), ('$[4]'));
SELECT 'bytes p2 types', (SELECT group_concat(type, ',') FROM joblib_each('bytes_p2.pkl')) = 'bytes,bytes,bytes,bytearray,bytearray';

-- sets, complex, OrderedDict
SELECT 'sets types', (SELECT group_concat(type, ',') FROM joblib_each('sets.pkl')) = 'set,frozenset,set,frozenset';
SELECT 'set json', json(joblib_load('sets.pkl', '$[0]')) = '[1,2,3]';
SELECT 'frozenset element', joblib_load('sets.pkl', '$[3][0]') = 'a';
SELECT 'sets p2 types', (SELECT group_concat(type, ',') FROM joblib_each('sets_p2.pkl')) = 'set,frozenset,set,frozenset';
SELECT 'sets p2 json', json(joblib_load('sets_p2.pkl', '$[0]')) = '[1,2,3]';
SELECT 'complex types', (SELECT group_concat(type, ',') FROM joblib_each('complex.pkl')) = 'complex,complex,complex';
SELECT 'ordereddict', (SELECT group_concat(key || '=' || value || ':' || type, ',') FROM joblib_each('ordereddict.pkl')) = 'z=1:int,a=2:int';
SELECT 'ordereddict type', (SELECT type FROM joblib_tree('ordereddict.pkl') WHERE fullkey = '$') = 'dict';
SELECT 'ordereddict json', json(joblib_load('ordereddict.pkl')) = '{"z":1,"a":2}';

-- a scikit-learn StandardScaler fitted on [[0,1],[2,3],[4,5],[6,7]]
SELECT 'sklearn class', (SELECT type || ' ' || class FROM joblib_tree('sklearn.pkl') WHERE fullkey = '$') =
  'object sklearn.preprocessing._data.StandardScaler';
SELECT 'sklearn n_features_in_', joblib_load('sklearn.pkl', '$.n_features_in_') = 2;
SELECT 'sklearn n_samples_seen_', joblib_load('sklearn.pkl', '$.n_samples_seen_') = 4;
SELECT 'sklearn with_mean', joblib_load('sklearn.pkl', '$.with_mean') = 1;
SELECT 'sklearn mean_', joblib_load('sklearn.pkl', '$.mean_') = x'00000000000008400000000000001040';
SELECT 'sklearn var_', joblib_load('sklearn.pkl', '$.var_') = x'00000000000014400000000000001440';
SELECT 'sklearn scale_[0]', abs(joblib_load('sklearn.pkl', '$.scale_[0]') - 2.23606797749979) < 1e-12;
SELECT 'sklearn version', joblib_load('sklearn.pkl', '$._sklearn_version') = '1.2.1';
SELECT 'sklearn json', json_extract(joblib_load('sklearn.pkl'), '$.__class__') = 'sklearn.preprocessing._data.StandardScaler'
  AND json_extract(joblib_load('sklearn.pkl'), '$.mean_[1]') = 4.0;
SELECT 'sklearn arrays', json_array_length(joblib_info('sklearn.pkl'), '$.arrays') = 3;

-- a dict of columns
SELECT 'columns keys', (SELECT group_concat(key || ':' || type, ',') FROM joblib_each('columns.pkl')) = 'id:ndarray,x:ndarray,name:ndarray';
SELECT 'columns id', (SELECT group_concat(value, ',') FROM joblib_each('columns.pkl', '$.id')) = '0,1,2';
SELECT 'columns x', (SELECT group_concat(ifnull(value, 'NULL'), ',') FROM joblib_each('columns.pkl', '$.x')) = '0.5,1.5,NULL';
SELECT 'columns name', (SELECT group_concat(ifnull(value, 'NULL'), ',') FROM joblib_each('columns.pkl', '$.name')) = 'a,b,NULL';
SELECT 'columns zlib', joblib_load('columns.pkl.z', '$.name[1]') = 'b';

-- references to classes and functions
SELECT 'globals types', (SELECT group_concat(type, ',') FROM joblib_each('globals.pkl')) = 'global,global,global';
SELECT 'globals class', (SELECT group_concat(class, ',') FROM joblib_each('globals.pkl')) = 'builtins.int,collections.OrderedDict,builtins.len';

-- plain pickles (no joblib wrappers)
SELECT 'plain format', json_extract(joblib_info('plain.pkl'), '$.format') = 'pickle';
SELECT 'plain p2 format', json_extract(joblib_info('plain_p2.pkl'), '$.format') = 'pickle';
SELECT 'plain value', json(joblib_load('plain.pkl')) = '{"a":1,"b":[1,2],"c":"text"}';
SELECT 'plain p2 value', json(joblib_load('plain_p2.pkl')) = '{"a":1,"b":[1,2],"c":"text"}';
SELECT 'plain numpy array', joblib_load('plain_numpy.pkl', '$[0]') = x'0000000000000000010000000000000002000000000000000300000000000000';
SELECT 'plain numpy scalar', joblib_load('plain_numpy.pkl', '$[1]') = 2.5;
SELECT 'plain numpy p5 frombuffer', joblib_load('plain_numpy_p5.pkl', '$[1]') = x'000000000000803f00000040';
SELECT 'plain numpy p5 tree', (SELECT type || ' ' || dtype || ' ' || shape FROM joblib_tree('plain_numpy_p5.pkl') WHERE fullkey = '$[1]') = 'ndarray <f4 [3]';

-- errors: every failure is an SQL error starting with 'joblib:'
-- error: SELECT joblib_load('no-such-file.pkl') => joblib:
-- error: SELECT joblib_load('empty.pkl') => joblib:
-- error: SELECT joblib_load('garbage.pkl') => joblib:
-- error: SELECT joblib_load('truncated.pkl') => joblib:
-- error: SELECT joblib_load('truncated_data.pkl', '$[1][1]') => joblib:
-- error: SELECT joblib_load('truncated.pkl.z') => joblib:
-- error: SELECT joblib_load('badproto.pkl') => joblib:
-- error: SELECT joblib_load('nostop.pkl') => joblib:
-- error: SELECT joblib_load('badopcode.pkl') => joblib:
-- error: SELECT joblib_load('memo.pkl') => joblib:
-- error: SELECT joblib_load('underflow.pkl') => joblib:
-- error: SELECT joblib_info('garbage.pkl') => joblib:
-- error: SELECT joblib_info('truncated.pkl.z') => joblib:
-- error: SELECT * FROM joblib_tree('truncated.pkl') => joblib:
-- error: SELECT * FROM joblib_each('badopcode.pkl') => joblib:
-- error: SELECT joblib_load('seed.pkl', '$[') => joblib:
-- error: SELECT joblib_load('seed.pkl', 'x') => joblib:
-- error: SELECT joblib_load('seed.pkl', '$[0]]') => joblib:
-- error: SELECT joblib_load(x'00', '$') => joblib:
-- error: SELECT joblib_load(1.5) => joblib:
