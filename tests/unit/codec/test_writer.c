/*
 * test_writer.c - the bundle writer (codec/write/writer.c, codec/pickle/emit.c):
 * value trees built by hand and written at protocols 2-5, compared byte
 * for byte with what CPython 3.11's pickler and joblib 1.2 / numpy 1.24
 * write for the same Python objects (expected streams below were made
 * with pickle._dumps and joblib.dump to a BytesIO); framing of large
 * streams, memo widths, name mapping, and error paths (bad trees,
 * failing allocator).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed_bytes.h"
#include "testutil.h"
#include "writer.h"

/* ---- expected streams (hex) ------------------------------------------- */

static const char *atoms_p2 =
    "80025d7100284e88894b004bff4d00014dffff4a000001004affffffff8a0500000080004a000000808a05ffffff7fff"
    "8a08ffffffffffffff7f8a080000000000000080473ff8000000000000478000000000000000580300000068c3a97101"
    "58000000007102635f5f6275696c74696e5f5f0a62797465730a710329527104635f636f646563730a656e636f64650a"
    "710558040000006162c3bf710658060000006c6174696e317107867108527109635f5f6275696c74696e5f5f0a627974"
    "6561727261790a710a680558020000007879710b680786710c52710d85710e52710f680a29527110635f5f6275696c74"
    "696e5f5f0a636f6d706c65780a7111473ff00000000000004740000000000000008671125271138a0900000000000000"
    "00018a090000000000000000c0652e"
    ;
static const char *atoms_p3 =
    "80035d7100284e88894b004bff4d00014dffff4a000001004affffffff8a0500000080004a000000808a05ffffff7fff"
    "8a08ffffffffffffff7f8a080000000000000080473ff8000000000000478000000000000000580300000068c3a97101"
    "580000000071024300710343036162ff7104636275696c74696e730a6279746561727261790a71054302787971068571"
    "07527108680529527109636275696c74696e730a636f6d706c65780a710a473ff0000000000000474000000000000000"
    "86710b52710c8a090000000000000000018a090000000000000000c0652e"
    ;
static const char *atoms_p4 =
    "800495c8000000000000005d94284e88894b004bff4d00014dffff4a000001004affffffff8a0500000080004a000000"
    "808a05ffffff7fff8a08ffffffffffffff7f8a080000000000000080473ff80000000000004780000000000000008c03"
    "68c3a9948c009443009443036162ff948c086275696c74696e73948c0962797465617272617994939443027879948594"
    "5294680729529468058c07636f6d706c6578949394473ff0000000000000474000000000000000869452948a09000000"
    "0000000000018a090000000000000000c0652e"
    ;
static const char *atoms_p5 =
    "800595c0000000000000005d94284e88894b004bff4d00014dffff4a000001004affffffff8a0500000080004a000000"
    "808a05ffffff7fff8a08ffffffffffffff7f8a080000000000000080473ff80000000000004780000000000000008c03"
    "68c3a9948c009443009443036162ff94960200000000000000787994960000000000000000948c086275696c74696e73"
    "948c07636f6d706c6578949394473ff0000000000000474000000000000000869452948a090000000000000000018a09"
    "0000000000000000c0652e"
    ;
static const char *shared_p2 =
    "80025d7100285d71014b0161680168018571027d710358010000006b7104680173635f5f6275696c74696e5f5f0a7365"
    "740a71055d7106284b014b0265857107527108635f5f6275696c74696e5f5f0a66726f7a656e7365740a71095d710a4b"
    "036185710b52710c2968055d710d85710e52710f68095d71108571115271126800652e"
    ;
static const char *shared_p4 =
    "8004952e000000000000005d94285d944b01616801680185947d948c016b946801738f94284b014b0290284b03919429"
    "8f942891946800652e"
    ;
static const char *rectuple_p2 =
    "80025d7100285d7101680185710261306802285d71032868034b014b024b03747104614b014b024b03316804652e"
    ;
static const char *rectuple_p4 =
    "80049527000000000000005d94285d946801859461306802285d942868034b014b024b037494614b014b024b03316804"
    "652e"
    ;
/* as pickle._dumps writes it, except FileNotFoundError: CPython writes
 * exceptions.OSError (loads as OSError); the writer keeps the class */
static const char *objects_p2 =
    "80025d710028635f5f6275696c74696e5f5f0a7872616e67650a710163636f6c6c656374696f6e730a4f726465726564"
    "446963740a71022952710358010000006171044b01736361726770617273650a4e616d6573706163650a710529817106"
    "7d710768044b01736263657863657074696f6e730a56616c75654572726f720a7108635f5f6275696c74696e5f5f0a46"
    "696c654e6f74466f756e644572726f720a7109652e"
    ;
static const char *objects_p4 =
    "8004958f000000000000005d94288c086275696c74696e73948c0572616e67659493948c0b636f6c6c656374696f6e73"
    "948c0b4f726465726564446963749493942952948c0161944b01738c086172677061727365948c094e616d6573706163"
    "659493942981947d9468084b01736268018c0a56616c75654572726f7294939468018c1146696c654e6f74466f756e64"
    "4572726f72949394652e"
    ;
static const char *forder_p2 =
    "8002636a6f626c69622e6e756d70795f7069636b6c650a4e756d70794172726179577261707065720a7100298171017d"
    "7102285808000000737562636c6173737103636e756d70790a6e6461727261790a71045805000000736861706571054b"
    "024b0386710658050000006f7264657271075801000000467108580500000064747970657109636e756d70790a647479"
    "70650a710a58020000006932710b898887710c52710d284b0358010000003e710e4e4e4e4affffffff4affffffff4b00"
    "74710f62580a000000616c6c6f775f6d6d6170711088581b0000006e756d70795f61727261795f616c69676e6d656e74"
    "5f627974657371114b10756203ffffff0000000300010004000200052e"
    ;
static const char *forder_p4 =
    "800495cd000000000000008c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179577261"
    "707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c057368"
    "617065944b024b0386948c056f72646572948c0146948c056474797065946806680d93948c0269329489888794529428"
    "4b038c013e944e4e4e4affffffff4affffffff4b007494628c0a616c6c6f775f6d6d617094888c1b6e756d70795f6172"
    "7261795f616c69676e6d656e745f6279746573944b10756207ffffffffffffff0000000300010004000200052e"
    ;
static const char *struct_p2 =
    "8002636a6f626c69622e6e756d70795f7069636b6c650a4e756d70794172726179577261707065720a7100298171017d"
    "7102285808000000737562636c6173737103636e756d70790a6e6461727261790a71045805000000736861706571054b"
    "0285710658050000006f7264657271075801000000437108580500000064747970657109636e756d70790a6474797065"
    "0a710a5803000000563132710b898887710c52710d284b0358010000007c710e4e580100000078710f58010000007971"
    "108671117d711228680f680a5802000000693471138988877114527115284b0358010000003c71164e4e4e4affffffff"
    "4affffffff4b00747117624b008671186810680a580200000066387119898887711a52711b284b0358010000003e711c"
    "4e4e4e4affffffff4affffffff4b0074711d624b0486711e754b0c4b014b1074711f62580a000000616c6c6f775f6d6d"
    "6170712088581b0000006e756d70795f61727261795f616c69676e6d656e745f627974657371214b10756204ffffffff"
    "0100000040040000000000000300000040120000000000002e"
    ;
static const char *struct_p4 =
    "8004952a010000000000008c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179577261"
    "707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c057368"
    "617065944b0285948c056f72646572948c0143948c056474797065946806680d93948c0356313294898887945294284b"
    "038c017c944e8c0178948c01799486947d94286813680e8c02693494898887945294284b038c013c944e4e4e4affffff"
    "ff4affffffff4b007494624b0086946814680e8c02663894898887945294284b038c013e944e4e4e4affffffff4affff"
    "ffff4b007494624b048694754b0c4b014b107494628c0a616c6c6f775f6d6d617094888c1b6e756d70795f6172726179"
    "5f616c69676e6d656e745f6279746573944b1075620affffffffffffffffffff01000000400400000000000003000000"
    "40120000000000002e"
    ;
static const char *datetime_p2 =
    "8002636a6f626c69622e6e756d70795f7069636b6c650a4e756d70794172726179577261707065720a7100298171017d"
    "7102285808000000737562636c6173737103636e756d70790a6e6461727261790a71045805000000736861706571054b"
    "0285710658050000006f7264657271075801000000437108580500000064747970657109636e756d70790a6474797065"
    "0a710a58020000004d38710b898887710c52710d284b0458010000003c710e4e4e4e4affffffff4affffffff4b007d71"
    "0f28635f636f646563730a656e636f64650a711058020000006e73711158060000006c6174696e317112867113527114"
    "4b014b014b0174711586711674711762580a000000616c6c6f775f6d6d6170711888581b0000006e756d70795f617272"
    "61795f616c69676e6d656e745f627974657371194b10756207ffffffffffffff000000000000000000ca9a3b00000000"
    "2e"
    ;
static const char *datetime_p4 =
    "800495dd000000000000008c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179577261"
    "707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c057368"
    "617065944b0285948c056f72646572948c0143948c056474797065946806680d93948c024d3894898887945294284b04"
    "8c013c944e4e4e4affffffff4affffffff4b007d942843026e73944b014b014b01749486947494628c0a616c6c6f775f"
    "6d6d617094888c1b6e756d70795f61727261795f616c69676e6d656e745f6279746573944b10756207ffffffffffffff"
    "000000000000000000ca9a3b000000002e"
    ;
static const char *object_p2 =
    "8002636a6f626c69622e6e756d70795f7069636b6c650a4e756d70794172726179577261707065720a7100298171017d"
    "7102285808000000737562636c6173737103636e756d70790a6e6461727261790a71045805000000736861706571054b"
    "0485710658050000006f7264657271075801000000437108580500000064747970657109636e756d70790a6474797065"
    "0a710a58020000004f38710b898887710c52710d284b0358010000007c710e4e4e4e4affffffff4affffffff4b3f7471"
    "0f62580a000000616c6c6f775f6d6d6170711089581b0000006e756d70795f61727261795f616c69676e6d656e745f62"
    "7974657371114b1075628002636e756d70792e636f72652e6d756c746961727261790a5f7265636f6e7374727563740a"
    "7100636e756d70790a6e6461727261790a71014b00857102635f636f646563730a656e636f64650a7103580100000062"
    "710458060000006c6174696e317105867106527107877108527109284b014b0485710a636e756d70790a64747970650a"
    "710b58020000004f38710c898887710d52710e284b0358010000007c710f4e4e4e4affffffff4affffffff4b3f747110"
    "62895d7111284b01580300000061626371124e68035801000000787113680586711452711565747116622e2e"
    ;
static const char *object_p4 =
    "800495cb000000000000008c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179577261"
    "707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c057368"
    "617065944b0485948c056f72646572948c0143948c056474797065946806680d93948c024f3894898887945294284b03"
    "8c017c944e4e4e4affffffff4affffffff4b3f7494628c0a616c6c6f775f6d6d617094898c1b6e756d70795f61727261"
    "795f616c69676e6d656e745f6279746573944b1075628002636e756d70792e636f72652e6d756c746961727261790a5f"
    "7265636f6e7374727563740a7100636e756d70790a6e6461727261790a71014b00857102635f636f646563730a656e63"
    "6f64650a7103580100000062710458060000006c6174696e317105867106527107877108527109284b014b0485710a63"
    "6e756d70790a64747970650a710b58020000004f38710c898887710d52710e284b0358010000007c710f4e4e4e4affff"
    "ffff4affffffff4b3f74711062895d7111284b01580300000061626371124e6803580100000078711368058671145271"
    "1565747116622e2e"
    ;
static const char *zero_p2 =
    "80025d710028636a6f626c69622e6e756d70795f7069636b6c650a4e756d70794172726179577261707065720a710129"
    "8171027d7103285808000000737562636c6173737104636e756d70790a6e6461727261790a7105580500000073686170"
    "6571062958050000006f7264657271075801000000437108580500000064747970657109636e756d70790a6474797065"
    "0a710a58020000006638710b898887710c52710d284b0358010000003c710e4e4e4e4affffffff4affffffff4b007471"
    "0f62580a000000616c6c6f775f6d6d6170711088581b0000006e756d70795f61727261795f616c69676e6d656e745f62"
    "7974657371114b10756205ffffffffff000000000000f83f6801298171127d7113286804680568064b004b0386711468"
    "0768086809680a5802000000693471158988877116527117284b03680e4e4e4e4affffffff4affffffff4b0074711862"
    "68108868114b10756206ffffffffffff652e"
    ;
static const char *zero_p4 =
    "800495cb000000000000005d94288c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179"
    "577261707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c"
    "05736861706594298c056f72646572948c0143948c056474797065946807680d93948c02663894898887945294284b03"
    "8c013c944e4e4e4affffffff4affffffff4b007494628c0a616c6c6f775f6d6d617094888c1b6e756d70795f61727261"
    "795f616c69676e6d656e745f6279746573944b10756209ffffffffffffffffff000000000000f83f9547000000000000"
    "0068032981947d942868066809680a4b004b038694680b680c680d680e8c02693494898887945294284b0368124e4e4e"
    "4affffffff4affffffff4b0074946268148868154b10756207ffffffffffffff652e"
    ;
static const char *scalar_p2 =
    "80025d710028636e756d70792e636f72652e6d756c746961727261790a7363616c61720a7101636e756d70790a647479"
    "70650a71025802000000663871038988877104527105284b0358010000003c71064e4e4e4affffffff4affffffff4b00"
    "74710762635f636f646563730a656e636f64650a71085809000000000000000000c3b83f710958060000006c6174696e"
    "31710a86710b52710c86710d52710e6801680258020000006934710f8988877110527111284b0368064e4e4e4affffff"
    "ff4affffffff4b007471126268085808000000c3bec3bfc3bfc3bf7113680a867114527115867116527117652e"
    ;
static const char *scalar_p4 =
    "8004959e000000000000005d94288c156e756d70792e636f72652e6d756c74696172726179948c067363616c61729493"
    "948c056e756d7079948c0564747970659493948c02663894898887945294284b038c013c944e4e4e4affffffff4affff"
    "ffff4b007494624308000000000000f83f9486945294680368068c02693494898887945294284b03680a4e4e4e4affff"
    "ffff4affffffff4b007494624304feffffff9486945294652e"
    ;
static const char *titled_p4 =
    "80049534010000000000005d94288c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179"
    "577261707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c"
    "057368617065944b0185948c056f72646572948c0143948c056474797065946807680e93948c03563132948988879452"
    "94284b038c017c944e8c0161948c01629486947d94286814680f8c02693494898887945294284b038c013c944e4e4e4a"
    "ffffffff4affffffff4b007494624b008c0154948794681d681e6815680f8c02563894898887945294284b036813681a"
    "4b02859486944e4e4b084b044b007494624b048694754b0c4b014b107494628c0a616c6c6f775f6d6d617094888c1b6e"
    "756d70795f61727261795f616c69676e6d656e745f6279746573944b10756210ffffffffffffffffffffffffffffffff"
    "07000000010000000200000095800000000000000068032981947d942868066809680a4b018594680c680d680e680f8c"
    "02563894898887945294284b0368134e8c0178948c01799486947d9428682f680f8c02753194898887945294284b0368"
    "134e4e4e4affffffff4affffffff4b007494624b0086946830681a4b048694754b084b044a90ffffff74946268278868"
    "284b1075620affffffffffffffffffff0100000002000000652e"
    ;
static const char *kinds_p2 =
    "80025d710028636a6f626c69622e6e756d70795f7069636b6c650a4e756d70794172726179577261707065720a710129"
    "8171027d7103285808000000737562636c6173737104636e756d70790a6e6461727261790a7105580500000073686170"
    "6571064b0285710758050000006f726465727108580100000043710958050000006474797065710a636e756d70790a64"
    "747970650a710b58020000005533710c898887710d52710e284b0358010000003c710f4e4e4e4b0c4b044b0874711062"
    "580a000000616c6c6f775f6d6d6170711188581b0000006e756d70795f61727261795f616c69676e6d656e745f627974"
    "657371124b10756207ffffffffffffff6100000062000000000000006300000000000000000000006801298171137d71"
    "14286804680568064b0185711568086809680a680b5802000000533571168988877117527118284b0358010000007c71"
    "194e4e4e4b054b014b0074711a6268118868124b10756208ffffffffffffffff787900000068012981711b7d711c2868"
    "04680568064b0285711d68086809680a680b58020000006231711e898887711f527120284b0368194e4e4e4affffffff"
    "4affffffff4b007471216268118868124b1075620bffffffffffffffffffffff01006801298171227d71232868046805"
    "68064b0185712468086809680a680b580300000063313671258988877126527127284b03680f4e4e4e4affffffff4aff"
    "ffffff4b007471286268118868124b1075620dffffffffffffffffffffffffff000000000000f03f0000000000000040"
    "6801298171297d712a286804680568064b0385712b68086809680a680b58020000006634712c898887712d52712e284b"
    "03680f4e4e4e4affffffff4affffffff4b0074712f6268118868124b10756210ffffffffffffffffffffffffffffffff"
    "000000000000803f000000406801298171307d7131286804680568064b0285713268086809680a682e68118868124b10"
    "75620dffffffffffffffffffffffffff000000000000803f652e"
    ;
static const char *kinds_p4 =
    "800495c8000000000000005d94288c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179"
    "577261707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c"
    "057368617065944b0285948c056f72646572948c0143948c056474797065946807680e93948c02553394898887945294"
    "284b038c013c944e4e4e4b0c4b044b087494628c0a616c6c6f775f6d6d617094888c1b6e756d70795f61727261795f61"
    "6c69676e6d656e745f6279746573944b1075620cffffffffffffffffffffffff61000000620000000000000063000000"
    "000000000000000095410000000000000068032981947d942868066809680a4b018594680c680d680e680f8c02533594"
    "898887945294284b038c017c944e4e4e4b054b014b0074946268158868164b1075620dffffffffffffffffffffffffff"
    "787900000095450000000000000068032981947d942868066809680a4b028594680c680d680e680f8c02623194898887"
    "945294284b03681d4e4e4e4affffffff4affffffff4b0074946268158868164b1075620cffffffffffffffffffffffff"
    "010095460000000000000068032981947d942868066809680a4b018594680c680d680e680f8c03633136948988879452"
    "94284b0368134e4e4e4affffffff4affffffff4b0074946268158868164b1075620effffffffffffffffffffffffffff"
    "000000000000f03f000000000000004095450000000000000068032981947d942868066809680a4b038594680c680d68"
    "0e680f8c02663494898887945294284b0368134e4e4e4affffffff4affffffff4b0074946268158868164b10756201ff"
    "000000000000803f0000004095230000000000000068032981947d942868066809680a4b028594680c680d680e683268"
    "158868164b10756207ffffffffffffff000000000000803f652e"
    ;
static const char *matrix_p4 =
    "800495cf000000000000005d94288c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179"
    "577261707065729493942981947d94288c08737562636c617373948c056e756d7079948c066d61747269789493948c05"
    "7368617065944b014b0286948c056f72646572948c0143948c056474797065946807680e93948c026938948988879452"
    "94284b038c013c944e4e4e4affffffff4affffffff4b007494628c0a616c6c6f775f6d6d617094888c1b6e756d70795f"
    "61727261795f616c69676e6d656e745f6279746573944b10756205ffffffffff01000000000000000200000000000000"
    "952f0000000000000068032981947d9428680668078c076e646172726179949394680a4b028594680c680d680e681268"
    "158868164b10756207ffffffffffffff0000000000000000010000000000000095230000000000000068032981947d94"
    "286806681a680a4b028594680c680d680e681268158868164b10756203ffffff00000000000000000100000000000000"
    "652e"
    ;

/* ---- building value trees by hand ------------------------------------ */

static jl_error E;

static uint32_t S(jl_doc *d, const char *s) { return jl_new_bytes(d, JL_STR, s, strlen(s), &E); }
static uint32_t BY(jl_doc *d, const void *p, size_t n) { return jl_new_bytes(d, JL_BYTES, p, n, &E); }
static uint32_t BA(jl_doc *d, const void *p, size_t n) { return jl_new_bytes(d, JL_BYTEARRAY, p, n, &E); }
static uint32_t I(jl_doc *d, int64_t v) { return jl_new_int(d, v, &E); }
static uint32_t F(jl_doc *d, double v) { return jl_new_float(d, v, &E); }
static uint32_t BO(jl_doc *d, int v) { return jl_new_bool(d, v, &E); }
static uint32_t N(jl_doc *d) { return jl_node_new(d, JL_NULL, &E); }

/* A big int from its two's complement little-endian bytes. */
static uint32_t BIG(jl_doc *d, const void *le, size_t n) {
    uint32_t id = jl_new_bytes(d, JL_INT, le, n, &E);
    d->nodes[id].flags |= JL_F_BIG;
    return id;
}

static uint32_t CX(jl_doc *d, double re, double im) {
    double v[2] = { re, im };
    return jl_new_bytes(d, JL_COMPLEX, v, sizeof v, &E);
}

static void add(jl_doc *d, uint32_t c, uint32_t k) { assert_int_equal(jl_kids_append(d, c, &k, 1, &E), JL_OK); }

static uint32_t seq(jl_doc *d, jl_kind kind, int n, va_list ap) {
    uint32_t c = jl_node_new(d, kind, &E);
    for (int i = 0; i < n; i++) add(d, c, va_arg(ap, uint32_t));
    return c;
}
#define SEQ_BUILDER(name, kind)                 \
    static uint32_t name(jl_doc *d, int n, ...) { \
        va_list ap;                             \
        va_start(ap, n);                        \
        uint32_t c = seq(d, kind, n, ap);       \
        va_end(ap);                             \
        return c;                               \
    }
SEQ_BUILDER(L, JL_LIST)
SEQ_BUILDER(T, JL_TUPLE)
SEQ_BUILDER(SET, JL_SET)
SEQ_BUILDER(FSET, JL_FROZENSET)
/* D(d, pairs, k0, v0, k1, v1 ...) */
static uint32_t D(jl_doc *d, int pairs, ...) {
    va_list ap;
    va_start(ap, pairs);
    uint32_t c = seq(d, JL_DICT, 2 * pairs, ap);
    va_end(ap);
    return c;
}

static jl_ref heap(jl_doc *d, const void *p, size_t n) {
    jl_ref r;
    uint8_t *dst = jl_heap_alloc(d, n, &r, &E);
    assert_non_null(dst);
    if (n) memcpy(dst, p, n);
    return r;
}

static uint32_t G(jl_doc *d, const char *module, const char *name) {
    uint32_t g = jl_global_new(d, &E);
    uint32_t id = jl_node_new(d, JL_GLOBAL, &E);
    d->nodes[id].u.ext = g;
    jl_ref m = heap(d, module, strlen(module)), n = heap(d, name, strlen(name));
    d->globals[g].module = m;
    d->globals[g].name = n;
    return id;
}

static uint32_t OBJ(jl_doc *d, jl_how how, uint32_t cls, uint32_t args, uint32_t kwargs, uint32_t state,
                    uint32_t listitems, uint32_t dictitems) {
    uint32_t o = jl_object_new(d, &E);
    uint32_t id = jl_node_new(d, JL_OBJECT, &E);
    d->nodes[id].u.ext = o;
    jl_object *ob = &d->objects[o];
    ob->how = (uint8_t)how;
    ob->cls = cls;
    ob->args = args;
    ob->kwargs = kwargs;
    ob->state = state;
    ob->listitems = listitems;
    ob->dictitems = dictitems;
    return id;
}

/* A plain dtype: kind, byte order, itemsize (alignment as numpy's). */
static uint32_t DT(jl_doc *d, char kind, char order, uint64_t itemsize) {
    uint32_t dt = jl_dtype_new(d, &E);
    jl_dtype *t = &d->dtypes[dt];
    t->kind = kind;
    t->byteorder = order;
    t->itemsize = itemsize;
    t->alignment = kind == 'S' || kind == 'V' ? 1 : kind == 'U' ? 4 : kind == 'c' ? (uint32_t)itemsize / 2
                                                                               : (uint32_t)itemsize;
    t->has_object = kind == 'O';
    return dt;
}

static uint32_t DTM(jl_doc *d, char kind, const char *unit, uint32_t num) {
    uint32_t dt = DT(d, kind, '<', 8);
    snprintf(d->dtypes[dt].unit, sizeof d->dtypes[dt].unit, "%s", unit);
    d->dtypes[dt].unit_num = num;
    return dt;
}

/* A structured dtype of n fields (titles optional, NULL for none). */
static uint32_t DTS(jl_doc *d, uint64_t itemsize, uint32_t align, unsigned n, const char *const *names,
                    const char *const *titles, const uint32_t *dts, const uint64_t *offsets) {
    uint32_t at = jl_fields_new(d, n, &E);
    for (unsigned i = 0; i < n; i++) {
        jl_ref nm = heap(d, names[i], strlen(names[i]));
        jl_ref ti = { 0, 0, 0 };
        if (titles && titles[i]) ti = heap(d, titles[i], strlen(titles[i]));
        d->fields[at + i].name = nm;
        d->fields[at + i].title = ti;
        d->fields[at + i].dtype = dts[i];
        d->fields[at + i].offset = offsets[i];
    }
    uint32_t dt = jl_dtype_new(d, &E);
    jl_dtype *t = &d->dtypes[dt];
    t->kind = 'V';
    t->byteorder = '|';
    t->itemsize = itemsize;
    t->alignment = align;
    t->nfields = n;
    t->fields_at = at;
    return dt;
}

static uint32_t DTSUB(jl_doc *d, uint32_t base, unsigned ndim, const uint64_t *dims) {
    uint32_t at = jl_dims_new(d, ndim, &E);
    uint64_t size = d->dtypes[base].itemsize;
    for (unsigned i = 0; i < ndim; i++) {
        d->dims[at + i] = dims[i];
        size *= dims[i];
    }
    uint32_t al = d->dtypes[base].alignment;
    uint32_t dt = jl_dtype_new(d, &E);
    jl_dtype *t = &d->dtypes[dt];
    t->kind = 'V';
    t->byteorder = '|';
    t->itemsize = size;
    t->alignment = al;
    t->sub_base = base;
    t->sub_ndim = (uint8_t)ndim;
    t->sub_dims_at = at;
    return dt;
}

static uint32_t arr(jl_doc *d, jl_kind kind, uint32_t dt, unsigned ndim, const uint64_t *dims, const void *data,
                    size_t n, char order) {
    uint32_t a = jl_array_new(d, &E);
    uint32_t id = jl_node_new(d, kind, &E);
    d->nodes[id].u.ext = a;
    uint32_t at = jl_dims_new(d, ndim, &E);
    for (unsigned i = 0; i < ndim; i++) d->dims[at + i] = dims[i];
    jl_ref r = heap(d, data, n);
    jl_array *x = &d->arrays[a];
    x->dtype = dt;
    x->dims_at = at;
    x->ndim = (uint8_t)ndim;
    x->order = order;
    x->data = r;
    x->origin = JL_ORIGIN_BUILT;
    x->is_scalar = kind == JL_SCALAR;
    return id;
}
static uint32_t ARR(jl_doc *d, uint32_t dt, unsigned ndim, const uint64_t *dims, const void *data, size_t n,
                    char order) {
    return arr(d, JL_NDARRAY, dt, ndim, dims, data, n, order);
}
static uint32_t SCAL(jl_doc *d, uint32_t dt, const void *data, size_t n) {
    return arr(d, JL_SCALAR, dt, 0, NULL, data, n, 'C');
}
/* An object array over `items` (a list node in C order). */
static uint32_t OARR(jl_doc *d, unsigned ndim, const uint64_t *dims, uint32_t items, char order) {
    uint32_t id = ARR(d, DT(d, 'O', '|', 8), ndim, dims, "", 0, order);
    d->arrays[d->nodes[id].u.ext].items = items;
    return id;
}

/* ---- writing and comparing ------------------------------------------- */

static uint8_t *write_doc(jl_doc *d, uint32_t root, int proto, uint64_t *n) {
    jl_buf b;
    jl_buf_init(&b, &d->alloc, 0);
    jl_error err;
    int rc = jl_write_stream(d, root, proto, &b, &err);
    if (rc) fail_msg("jl_write_stream failed: %s", err.message);
    return (uint8_t *)jl_buf_take(&b, n);
}

static void expect_bytes(const uint8_t *got, uint64_t n, const uint8_t *want, uint64_t m, const char *what) {
    uint64_t i = 0;
    while (i < n && i < m && got[i] == want[i]) i++;
    if (i == n && n == m) return;
    char g[64] = "", w[64] = "";
    for (uint64_t k = i; k < i + 16 && k < n; k++) snprintf(g + 2 * (k - i), 3, "%02x", got[k]);
    for (uint64_t k = i; k < i + 16 && k < m; k++) snprintf(w + 2 * (k - i), 3, "%02x", want[k]);
    fail_msg("%s: %llu bytes vs %llu expected, first difference at %llu: got %s want %s", what,
             (unsigned long long)n, (unsigned long long)m, (unsigned long long)i, g, w);
}

static uint8_t *unhex(const char *h, uint64_t *n) {
    size_t len = strlen(h) / 2;
    uint8_t *p = malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        p[i] = (uint8_t)v;
    }
    *n = len;
    return p;
}

static void expect_hex(jl_doc *d, uint32_t root, int proto, const char *hex, const char *what) {
    uint64_t n, m;
    uint8_t *got = write_doc(d, root, proto, &n);
    uint8_t *want = unhex(hex, &m);
    char label[96];
    snprintf(label, sizeof label, "%s (protocol %d)", what, proto);
    expect_bytes(got, n, want, m, label);
    free(want);
    jl_free(&d->alloc, got);
}

/* ---- the seed example (docs/FORMAT.md 8.1, 8.3) ----------------------- */

static uint32_t seed(jl_doc *d) {
    int64_t v[10];
    for (int i = 0; i < 10; i++) v[i] = i;
    uint64_t dims[1] = { 10 };
    uint32_t a = ARR(d, DT(d, 'i', '<', 8), 1, dims, v, sizeof v, 'C');
    return L(d, 2, T(d, 2, S(d, "a"), L(d, 3, I(d, 1), I(d, 2), I(d, 3))), T(d, 2, S(d, "b"), a));
}

static void test_seed_protocol4(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint64_t n;
    uint8_t *got = write_doc(d, seed(d), 4, &n);
    assert_int_equal(n, 333);
    expect_bytes(got, n, seed_p4, sizeof seed_p4, "seed, protocol 4");
    /* protocol 5 differs only in the PROTO byte for this value */
    jl_free(&d->alloc, got);
    got = write_doc(d, d->nnodes - 1, 5, &n);
    assert_int_equal(got[1], 5);
    got[1] = 4;
    expect_bytes(got, n, seed_p4, sizeof seed_p4, "seed, protocol 5");
    jl_free(&d->alloc, got);
    jl_doc_free(d);
}

static void test_seed_protocol2(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint32_t root = seed(d);
    uint64_t n;
    uint8_t *got = write_doc(d, root, 2, &n);
    assert_int_equal(n, 373);
    expect_bytes(got, n, seed_p2, sizeof seed_p2, "seed, protocol 2");
    jl_free(&d->alloc, got);
    got = write_doc(d, root, 3, &n);
    assert_int_equal(got[1], 3);
    got[1] = 2;
    expect_bytes(got, n, seed_p2, sizeof seed_p2, "seed, protocol 3");
    jl_free(&d->alloc, got);
    jl_doc_free(d);
}

/* The seed through jl_write_bundle, uncompressed (the allocator of the doc
 * owns the result). */
static void test_seed_bundle(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint32_t root = seed(d);
    uint8_t *out;
    uint64_t n;
    jl_write_opts o = { 0, JL_COMP_NONE, 0 }; /* zeros: protocol 4 */
    assert_int_equal(jl_write_bundle(d, root, &o, &out, &n, &E), JL_OK);
    expect_bytes(out, n, seed_p4, sizeof seed_p4, "bundle");
    jl_free(&d->alloc, out);
    assert_int_equal(jl_write_bundle(d, root, NULL, &out, &n, &E), JL_OK);
    expect_bytes(out, n, seed_p4, sizeof seed_p4, "bundle, default options");
    jl_free(&d->alloc, out);
    o.compression = JL_COMP_ZF;
    assert_int_equal(jl_write_bundle(d, root, &o, &out, &n, &E), JL_E_UNSUPPORTED);
    assert_null(out);
    o.compression = JL_COMP_NONE;
    o.protocol = 1;
    assert_int_equal(jl_write_bundle(d, root, &o, &out, &n, &E), JL_E_ARG);
    assert_string_equal(E.message, "pickle protocol 1 is not supported (use 2 to 5)");
    jl_doc_free(d);
}

/* The data of an array is 16-aligned in the buffer, whatever precedes it. */
static void test_alignment_follows_position(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint32_t root = seed(d);
    for (int prefix = 0; prefix < 17; prefix++) {
        jl_buf b;
        jl_buf_init(&b, &d->alloc, 0);
        for (int i = 0; i < prefix; i++) jl_buf_putc(&b, 'x');
        assert_int_equal(jl_write_stream(d, root, 4, &b, &E), JL_OK);
        /* padding byte right after the wrapper BUILD at prefix + 236 */
        uint64_t p = (uint64_t)prefix + 237;
        uint8_t pad = (uint8_t)b.p[p];
        assert_true(pad >= 1 && pad <= 16);
        assert_int_equal((p + 1 + pad) % 16, 0);
        for (int i = 0; i < pad; i++) assert_int_equal((uint8_t)b.p[p + 1 + i], 0xFF);
        assert_int_equal(b.p[p + 1 + pad + 8], 1); /* arange: element 1 */
        jl_buf_free(&b);
    }
    jl_doc_free(d);
}

/* ---- atoms -------------------------------------------------------------- */

static uint32_t atoms(jl_doc *d) {
    static const uint8_t two64[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };              /* 2**64 */
    static const uint8_t neg70[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xC0 };           /* -(2**70) */
    uint32_t l = L(d, 0);
    uint32_t items[] = {
        N(d), BO(d, 1), BO(d, 0), I(d, 0), I(d, 255), I(d, 256), I(d, 65535), I(d, 65536), I(d, -1),
        I(d, (int64_t)1 << 31), I(d, INT32_MIN), I(d, (int64_t)INT32_MIN - 1), I(d, INT64_MAX), I(d, INT64_MIN),
        F(d, 1.5), F(d, -0.0), S(d, "h\xc3\xa9"), S(d, ""), BY(d, "", 0), BY(d, "ab\xff", 3), BA(d, "xy", 2),
        BA(d, "", 0), CX(d, 1.0, 2.0), BIG(d, two64, 9), BIG(d, neg70, 9),
    };
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) add(d, l, items[i]);
    return l;
}

static void test_atoms(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint32_t root = atoms(d);
    expect_hex(d, root, 2, atoms_p2, "atoms");
    expect_hex(d, root, 3, atoms_p3, "atoms");
    expect_hex(d, root, 4, atoms_p4, "atoms");
    expect_hex(d, root, 5, atoms_p5, "atoms");
    jl_doc_free(d);
}

/* Big ints are written in their shortest form; ones that fit 64 bits use
 * the small-int opcodes. */
static void test_big_ints(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    static const uint8_t loose[10] = { 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0 };
    static const uint8_t minus1[4] = { 0xff, 0xff, 0xff, 0xff };
    static const uint8_t zero[3] = { 0, 0, 0 };
    static const uint8_t minus129[3] = { 0x7f, 0xff, 0xff };
    uint32_t root = L(d, 4, BIG(d, loose, 10), BIG(d, minus1, 4), BIG(d, zero, 3), BIG(d, zero, 0));
    /* 2**31-1 -> BININT; -1 -> BININT; 0 -> BININT1 0 twice */
    expect_hex(d, root, 2, "80025d7100284affffff7f4affffffff4b004b00652e", "big ints");
    uint8_t big[300];
    memset(big, 0x11, sizeof big);
    big[299] = 0x01;
    uint32_t b = BIG(d, big, 300);
    uint32_t m = BIG(d, minus129, 3);
    uint64_t n;
    uint8_t *got = write_doc(d, b, 4, &n);
    /* PROTO, FRAME, LONG4 with 300 bytes, STOP */
    assert_int_equal(n, 2 + 9 + 5 + 300 + 1);
    assert_int_equal(got[11], 0x8B);
    assert_int_equal(got[12] | got[13] << 8, 300);
    jl_free(&d->alloc, got);
    expect_hex(d, m, 2, "80024a7fffffff2e", "-129");
    jl_doc_free(d);
}

/* ---- containers, shared and recursive values ----------------------------- */

static void test_shared_and_self_reference(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    /* l = [1]; x = [l, l, (l,), {'k': l}, {1, 2}, frozenset([3]), (), set(), frozenset()]; x.append(x) */
    uint32_t l = L(d, 1, I(d, 1));
    uint32_t x = L(d, 9, l, l, T(d, 1, l), D(d, 1, S(d, "k"), l), SET(d, 2, I(d, 1), I(d, 2)),
                   FSET(d, 1, I(d, 3)), T(d, 0), SET(d, 0), FSET(d, 0));
    add(d, x, x);
    expect_hex(d, x, 2, shared_p2, "shared");
    expect_hex(d, x, 4, shared_p4, "shared");
    jl_doc_free(d);
}

static void test_recursive_tuples(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    /* t = ([],); t[0].append(t); t4 = ([], 1, 2, 3); t4[0].append(t4); [t, t4] */
    uint32_t l1 = L(d, 0), t = T(d, 1, l1);
    add(d, l1, t);
    uint32_t l4 = L(d, 0), t4 = T(d, 4, l4, I(d, 1), I(d, 2), I(d, 3));
    add(d, l4, t4);
    uint32_t root = L(d, 2, t, t4);
    expect_hex(d, root, 2, rectuple_p2, "recursive tuples");
    expect_hex(d, root, 4, rectuple_p4, "recursive tuples");
    jl_doc_free(d);
}

/* A tuple that contains itself with no list in between cannot be built by
 * Python: the writer stops at its depth limit instead of recursing forever. */
static void test_impossible_cycle(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint32_t t = T(d, 0);
    add(d, t, t);
    jl_buf b;
    jl_buf_init(&b, &d->alloc, 0);
    assert_int_equal(jl_write_stream(d, t, 4, &b, &E), JL_E_LIMIT);
    assert_string_equal(E.message, "value nested deeper than 5000 levels");
    jl_buf_free(&b);
    jl_doc_free(d);
}

/* MARK ... APPENDS batches of 1000 items, a lone last item with APPEND;
 * memo indices past 255 use LONG_BINPUT / LONG_BINGET. */
static void test_batches_and_long_memo(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint32_t l = L(d, 0);
    for (int i = 0; i < 2001; i++) add(d, l, I(d, 7));
    uint64_t n;
    uint8_t *got = write_doc(d, l, 2, &n);
    /* 80 02 5d 71 00 | 28 + 1000 x (4b 07) + 65 | 28 ... 65 | 4b 07 61 | 2e */
    assert_int_equal(n, 5 + 2 * (1 + 2000 + 1) + 3 + 1);
    assert_int_equal(got[5], 0x28);
    assert_int_equal(got[5 + 1 + 2000], 0x65);
    assert_int_equal(got[n - 4], 0x4b);
    assert_int_equal(got[n - 2], 0x61);
    jl_free(&d->alloc, got);

    /* 300 distinct strings then the first again */
    jl_doc *e = jl_doc_new(NULL, NULL);
    uint32_t root = L(e, 0), first = JL_NONE;
    for (int i = 0; i < 300; i++) {
        char s[8];
        snprintf(s, sizeof s, "%d", i);
        uint32_t id = S(e, s);
        if (i == 0) first = id;
        add(e, root, id);
    }
    add(e, root, first);
    got = write_doc(e, root, 3, &n);
    /* ... "299" LONG_BINPUT 300, then BINGET 1, APPENDS, STOP */
    assert_memory_equal(got + n - 15, "\x00\x00\x00" "299" "\x72\x2c\x01\x00\x00" "\x68\x01\x65\x2e", 15);
    jl_free(&e->alloc, got);
    root = L(e, 0);
    for (int i = 0; i < 300; i++) add(e, root, L(e, 0));
    uint32_t last = L(e, 0);
    add(e, root, last);
    add(e, root, last);
    got = write_doc(e, root, 2, &n);
    /* ... EMPTY_LIST LONG_BINPUT 301, LONG_BINGET 301, APPENDS, STOP */
    assert_memory_equal(got + n - 13, "\x5d\x72\x2d\x01\x00\x00\x6a\x2d\x01\x00\x00\x65\x2e", 13);
    jl_free(&e->alloc, got);
    jl_doc_free(e);
    jl_doc_free(d);
}

/* ---- framing ------------------------------------------------------------- */

/* Frames close once 64 KiB are pending when an object starts; str/bytes of
 * 64 KiB or more go outside frames; a final chunk under 4 bytes has no
 * FRAME. Layout checked against pickle._dumps([s0..s99, big_str, big_bytes], 4)
 * with s_i = ('%03d' % i) * 250. */
static void test_frames(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint32_t root = L(d, 0);
    char s[751], three[4];
    for (int i = 0; i < 100; i++) {
        snprintf(three, sizeof three, "%03d", i);
        for (int k = 0; k < 250; k++) memcpy(s + 3 * k, three, 3);
        add(d, root, jl_new_bytes(d, JL_STR, s, 750, &E));
    }
    char *big = malloc(70000);
    memset(big, 'z', 70000);
    add(d, root, jl_new_bytes(d, JL_STR, big, 70000, &E));
    add(d, root, jl_new_bytes(d, JL_BYTES, big, 70000, &E));
    free(big);
    uint64_t n;
    uint8_t *got = write_doc(d, root, 4, &n);
    /* walk the top level: FRAME n, X/B n (unframed large values) and bare
     * opcodes; expected events from CPython */
    static const struct { uint8_t op; uint64_t at, len; } want[] = {
        { 0x95, 2, 65775 },     { 0x95, 65786, 9828 }, { 0x58, 75623, 70000 }, { 0x94, 145628, 0 },
        { 0x42, 145629, 70000 }, { 0x94, 215634, 0 },   { 0x65, 215635, 0 },     { 0x2e, 215636, 0 },
    };
    uint64_t at = 2;
    size_t ev = 0;
    while (at < n) {
        uint8_t op = got[at];
        uint64_t len = 0, skip = 1;
        if (op == 0x95) {
            for (int k = 0; k < 8; k++) len |= (uint64_t)got[at + 1 + k] << (8 * k);
            skip = 9 + len;
        } else if (op == 0x58 || op == 0x42) {
            for (int k = 0; k < 4; k++) len |= (uint64_t)got[at + 1 + k] << (8 * k);
            skip = 5 + len;
        }
        assert_true(ev < sizeof want / sizeof want[0]);
        assert_int_equal(op, want[ev].op);
        assert_int_equal(at, want[ev].at);
        assert_int_equal(len, want[ev].len);
        ev++;
        at += skip;
    }
    assert_int_equal(ev, sizeof want / sizeof want[0]);
    assert_int_equal(n, 215637);
    jl_free(&d->alloc, got);
    jl_doc_free(d);
}

/* ---- globals and objects --------------------------------------------------- */

static void test_globals_and_objects(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    /* [range, OrderedDict(a=1), Namespace(a=1), ValueError, FileNotFoundError] */
    uint32_t a = S(d, "a");
    uint32_t od = OBJ(d, JL_HOW_REDUCE, G(d, "collections", "OrderedDict"), T(d, 0), JL_NONE, JL_NONE, JL_NONE,
                      D(d, 1, a, I(d, 1)));
    uint32_t ns = OBJ(d, JL_HOW_NEWOBJ, G(d, "argparse", "Namespace"), JL_NONE, JL_NONE, D(d, 1, a, I(d, 1)),
                      JL_NONE, JL_NONE);
    uint32_t root = L(d, 5, G(d, "builtins", "range"), od, ns, G(d, "builtins", "ValueError"),
                      G(d, "builtins", "FileNotFoundError"));
    expect_hex(d, root, 2, objects_p2, "objects");
    expect_hex(d, root, 4, objects_p4, "objects");

    /* Python 2 names kept from old streams are written as Python 3 names */
    uint32_t py2 = L(d, 3, G(d, "__builtin__", "set"), G(d, "copy_reg", "_reconstructor"),
                     G(d, "exceptions", "KeyError"));
    expect_hex(d, py2, 3,
               "80035d710028636275696c74696e730a7365740a710163636f70797265670a5f7265636f6e7374727563746f720a"
               "7102636275696c74696e730a4b65794572726f720a7103652e",
               "py2 names");
    jl_doc_free(d);
}

/* ---- arrays ------------------------------------------------------------------ */

static void test_array_fortran_bigendian(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    /* asfortranarray(arange(6, '>i2').reshape(2, 3)): F-order bytes */
    static const uint8_t data[12] = { 0, 0, 0, 3, 0, 1, 0, 4, 0, 2, 0, 5 };
    uint64_t dims[2] = { 2, 3 };
    uint32_t a = ARR(d, DT(d, 'i', '>', 2), 2, dims, data, 12, 'F');
    expect_hex(d, a, 2, forder_p2, "F order >i2");
    expect_hex(d, a, 4, forder_p4, "F order >i2");
    jl_doc_free(d);
}

static void test_array_structured(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    static const char *const names[2] = { "x", "y" };
    uint32_t fd[2] = { DT(d, 'i', '<', 4), DT(d, 'f', '>', 8) };
    uint64_t offs[2] = { 0, 4 };
    uint32_t dt = DTS(d, 12, 1, 2, names, NULL, fd, offs);
    static const uint8_t data[24] = { 1, 0, 0, 0, 0x40, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0x40, 0x12, 0, 0, 0, 0, 0, 0 };
    uint64_t dims[1] = { 2 };
    uint32_t a = ARR(d, dt, 1, dims, data, 24, 'C');
    expect_hex(d, a, 2, struct_p2, "structured");
    expect_hex(d, a, 4, struct_p4, "structured");
    jl_doc_free(d);
}

static void test_array_datetime(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    int64_t v[2] = { 0, 1000000000 };
    uint64_t dims[1] = { 2 };
    uint32_t a = ARR(d, DTM(d, 'M', "ns", 1), 1, dims, v, sizeof v, 'C');
    expect_hex(d, a, 2, datetime_p2, "datetime64[ns]");
    expect_hex(d, a, 4, datetime_p4, "datetime64[ns]");
    jl_doc_free(d);
}

static void test_array_object(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint64_t dims[1] = { 4 };
    uint32_t items = L(d, 4, I(d, 1), S(d, "abc"), N(d), BY(d, "x", 1));
    uint32_t a = OARR(d, 1, dims, items, 'C');
    expect_hex(d, a, 2, object_p2, "object array");
    expect_hex(d, a, 4, object_p4, "object array");
    jl_doc_free(d);
}

static void test_array_zero_d_and_empty(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    double x = 1.5;
    uint64_t dims[2] = { 0, 3 };
    uint32_t root = L(d, 2, ARR(d, DT(d, 'f', '<', 8), 0, NULL, &x, 8, 'C'), ARR(d, DT(d, 'i', '<', 4), 2, dims, "", 0, 'C'));
    expect_hex(d, root, 2, zero_p2, "0-d and empty");
    expect_hex(d, root, 4, zero_p4, "0-d and empty");
    jl_doc_free(d);
}

static void test_scalars(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    double x = 1.5;
    int32_t y = -2;
    uint32_t root = L(d, 2, SCAL(d, DT(d, 'f', '<', 8), &x, 8), SCAL(d, DT(d, 'i', '<', 4), &y, 4));
    expect_hex(d, root, 2, scalar_p2, "scalars");
    expect_hex(d, root, 4, scalar_p4, "scalars");
    jl_doc_free(d);
}

/* Titles, a subarray field and an aligned struct (flags 0x90, pickled as
 * numpy 1.x's signed char -112); one int32 dtype shared by all. */
static void test_array_titles_subarray_aligned(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint32_t i4 = DT(d, 'i', '<', 4), u1 = DT(d, 'u', '|', 1);
    uint64_t sub[1] = { 2 };
    static const char *const names[2] = { "a", "b" }, *const titles[2] = { "T", NULL };
    uint32_t fd[2] = { i4, DTSUB(d, i4, 1, sub) };
    uint64_t offs[2] = { 0, 4 };
    uint32_t dt = DTS(d, 12, 1, 2, names, titles, fd, offs);
    static const char *const anames[2] = { "x", "y" };
    uint32_t afd[2] = { u1, i4 };
    uint64_t aoffs[2] = { 0, 4 };
    uint32_t adt = DTS(d, 8, 4, 2, anames, NULL, afd, aoffs);
    static const uint8_t data[12] = { 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0 };
    static const uint8_t adata[8] = { 1, 0, 0, 0, 2, 0, 0, 0 };
    uint64_t dims[1] = { 1 };
    uint32_t root = L(d, 2, ARR(d, dt, 1, dims, data, 12, 'C'), ARR(d, adt, 1, dims, adata, 8, 'C'));
    expect_hex(d, root, 4, titled_p4, "titles, subarray, aligned");
    jl_doc_free(d);
}

/* <U3, S5, bool, complex128, and two float32 arrays sharing one dtype. */
static void test_array_kinds(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    static const uint8_t u[24] = { 'a', 0, 0, 0, 'b', 0, 0, 0, 0, 0, 0, 0, 'c', 0, 0, 0 };
    static const uint8_t b[5] = { 'x', 'y', 0, 0, 0 };
    static const uint8_t c[2] = { 1, 0 };
    double z[2] = { 1.0, 2.0 };
    float e[3] = { 0, 1, 2 };
    uint64_t d2[1] = { 2 }, d1[1] = { 1 }, d3[1] = { 3 };
    uint32_t f4 = DT(d, 'f', '<', 4);
    uint32_t root = L(d, 6, ARR(d, DT(d, 'U', '<', 12), 1, d2, u, 24, 'C'), ARR(d, DT(d, 'S', '|', 5), 1, d1, b, 5, 'C'),
                      ARR(d, DT(d, 'b', '|', 1), 1, d2, c, 2, 'C'), ARR(d, DT(d, 'c', '<', 16), 1, d1, z, 16, 'C'),
                      ARR(d, f4, 1, d3, e, 12, 'C'), ARR(d, f4, 1, d2, e, 8, 'C'));
    expect_hex(d, root, 2, kinds_p2, "dtype kinds");
    expect_hex(d, root, 4, kinds_p4, "dtype kinds");
    jl_doc_free(d);
}

/* A matrix keeps its class; an array reached twice is written twice (as
 * joblib does: the memo holds the wrapper, not the array). */
static void test_array_matrix_and_shared(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    int64_t v[2] = { 1, 2 }, w[2] = { 0, 1 };
    uint64_t dm[2] = { 1, 2 }, dg[1] = { 2 };
    uint32_t i8 = DT(d, 'i', '<', 8);
    uint32_t m = ARR(d, i8, 2, dm, v, 16, 'C');
    d->arrays[d->nodes[m].u.ext].cls = G(d, "numpy", "matrix");
    uint32_t g = ARR(d, i8, 1, dg, w, 16, 'C');
    expect_hex(d, L(d, 3, m, g, g), 4, matrix_p4, "matrix and shared array");
    jl_doc_free(d);
}

/* ---- errors -------------------------------------------------------------------- */

static void test_bad_trees(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    jl_buf b;
    jl_buf_init(&b, &d->alloc, 0);
    uint64_t dims[1] = { 3 };
    uint32_t a = ARR(d, DT(d, 'i', '<', 8), 1, dims, "12345678", 8, 'C');
    assert_int_equal(jl_write_stream(d, a, 4, &b, &E), JL_E_ARG);
    assert_string_equal(E.message, "cannot write node 0: it has 8 data bytes where its shape and dtype need 24");
    b.len = 0;
    assert_int_equal(jl_write_stream(d, 999, 4, &b, &E), JL_E_ARG);
    assert_string_equal(E.message, "cannot write node 999: no such node");
    b.len = 0;
    uint32_t o = OBJ(d, JL_HOW_REDUCE, JL_NONE, JL_NONE, JL_NONE, JL_NONE, JL_NONE, JL_NONE);
    assert_int_equal(jl_write_stream(d, o, 4, &b, &E), JL_E_ARG);
    assert_string_equal(E.message, "cannot write node 1: an object without a class");
    b.len = 0;
    uint32_t oa = OARR(d, 1, dims, L(d, 1, I(d, 1)), 'C');
    assert_int_equal(jl_write_stream(d, oa, 4, &b, &E), JL_E_ARG);
    assert_string_equal(E.message, "cannot write node 4: an object array whose items do not match its shape");
    b.len = 0;
    assert_int_equal(jl_write_stream(d, a, 6, &b, &E), JL_E_ARG);
    /* a size limit on the destination */
    jl_buf small;
    jl_buf_init(&small, &d->alloc, 100);
    assert_int_equal(jl_write_stream(d, seed(d), 4, &small, &E), JL_E_LIMIT);
    jl_buf_free(&small);
    jl_buf_free(&b);
    jl_doc_free(d);
}

/* Every allocation failure is reported and leaks nothing. */
static void test_allocation_failures(void **state) {
    (void)state;
    for (long k = 0; k < 200; k++) {
        jl_test_alloc t;
        jl_test_alloc_init(&t, -1);
        jl_doc *d = jl_doc_new(&t.alloc, NULL);
        uint32_t l = L(d, 0);
        for (int i = 0; i < 40; i++) {
            char s[8];
            snprintf(s, sizeof s, "k%d", i);
            add(d, l, D(d, 1, S(d, s), seed(d)));
        }
        long before = t.live;
        t.fail_after = t.calls + k;
        uint8_t *out = NULL;
        uint64_t n;
        int rc = jl_write_bundle(d, l, NULL, &out, &n, &E);
        if (rc == JL_OK) {
            assert_true(k > 10); /* several failure points were exercised */
            jl_free(&d->alloc, out);
            assert_int_equal(t.live, before);
            jl_doc_free(d);
            assert_int_equal(t.live, 0);
            return;
        }
        assert_int_equal(rc, JL_E_NOMEM);
        assert_null(out);
        assert_int_equal(t.live, before);
        t.fail_after = -1;
        jl_doc_free(d);
        assert_int_equal(t.live, 0);
    }
    fail_msg("writing never succeeded within 200 allocations");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_protocol4),
        cmocka_unit_test(test_seed_protocol2),
        cmocka_unit_test(test_seed_bundle),
        cmocka_unit_test(test_alignment_follows_position),
        cmocka_unit_test(test_atoms),
        cmocka_unit_test(test_big_ints),
        cmocka_unit_test(test_shared_and_self_reference),
        cmocka_unit_test(test_recursive_tuples),
        cmocka_unit_test(test_impossible_cycle),
        cmocka_unit_test(test_batches_and_long_memo),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_globals_and_objects),
        cmocka_unit_test(test_array_fortran_bigendian),
        cmocka_unit_test(test_array_structured),
        cmocka_unit_test(test_array_datetime),
        cmocka_unit_test(test_array_object),
        cmocka_unit_test(test_array_zero_d_and_empty),
        cmocka_unit_test(test_array_titles_subarray_aligned),
        cmocka_unit_test(test_array_kinds),
        cmocka_unit_test(test_array_matrix_and_shared),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_bad_trees),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
