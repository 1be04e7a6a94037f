-- requires: corpus
-- A few reads of joblib's upstream bundles in place (@CORPUS@ is the corpus
-- directory); tests/interop/test_corpus.py checks every file in full.

SELECT 'modern zlib text', joblib_load('@CORPUS@/joblib_0.10.0_compressed_pickle_py35_np19.gz', '$[5]') = 'C''est l''été !';
SELECT 'modern gzip py27 bytes', joblib_load('@CORPUS@/joblib_0.10.0_compressed_pickle_py27_np16.gz', '$[3]') = x'000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff';
SELECT 'lz4 arange', joblib_load('@CORPUS@/joblib_0.12.2_pickle_py36_np114.pkl.lz4', '$[0]') = x'00000000000000000100000000000000020000000000000003000000000000000400000000000000';
SELECT 'legacy sidecar f8', joblib_load('@CORPUS@/joblib_0.9.2_pickle_py34_np19.pkl', '$[1]') = x'0000000000000000000000000000f03f000000000000004000000000000008400000000000001040';
SELECT 'legacy sidecar object', joblib_load('@CORPUS@/joblib_0.9.2_pickle_py27_np16.pkl', '$[2][2].b') = 2;
SELECT 'legacy format', json_extract(joblib_info('@CORPUS@/joblib_0.9.2_pickle_py35_np19.pkl'), '$.format') = 'joblib-legacy';
SELECT 'legacy files', json_array_length(joblib_info('@CORPUS@/joblib_0.9.2_pickle_py35_np19.pkl'), '$.files') = 5;
SELECT 'ZF format', json_extract(joblib_info('@CORPUS@/joblib_0.8.4_compressed_pickle_py27_np17.gz'), '$.format') = 'joblib-zf';
SELECT 'ZF matrix', joblib_load('@CORPUS@/joblib_0.8.4_compressed_pickle_py27_np17.gz', '$[4]') = x'000000000000000001000000000000000200000000000000';
SELECT 'ZF npy.z sidecar', joblib_load('@CORPUS@/joblib_0.9.4.dev0_compressed_cache_size_pickle_py35_np19.gz', '$[4][0][2]') = 2;
SELECT 'matrix class', (SELECT class FROM joblib_tree('@CORPUS@/joblib_0.11.0_pickle_py36_np111.pkl') WHERE fullkey = '$[4]') = 'numpy.matrixlib.defmatrix.matrix';

-- a legacy bundle's sidecars need its path: as a BLOB it is an error
-- error: SELECT joblib_load(readfile('@CORPUS@/joblib_0.9.2_pickle_py34_np19.pkl'), '$[0]') => joblib:
