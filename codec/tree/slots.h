/*
 * slots.h - the one spelling of an object node's slot names (".__args__"
 * in paths, "__args__" as walk attributes and JSON keys) and of the JSON
 * cycle marker {"__ref__": path}. The slot numbers are JL_SLOT_* (path.h).
 */
#ifndef JL_SLOTS_H
#define JL_SLOTS_H

#define JL_SLOT_NAME_ARGS "__args__"     /* constructor arguments */
#define JL_SLOT_NAME_KWARGS "__kwargs__" /* NEWOBJ_EX keyword arguments */
#define JL_SLOT_NAME_STATE "__state__"   /* a state that is not a dict */
#define JL_SLOT_NAME_ITEMS "__items__"   /* APPENDed / SETITEMed items */
#define JL_SLOT_NAME_CLASS "__class__"   /* the class, "module.Name" */
#define JL_SLOT_NAME_REF "__ref__"       /* JSON: a value met inside itself */

/* Initializers of a table indexed by slot number (JL_SLOT_ARGS ..
 * JL_SLOT_CLASS), each name between the string literals pre and post:
 * static const char *const t[] = { JL_SLOT_NAME_TABLE("\"", "\":") }; */
#define JL_SLOT_NAME_TABLE(pre, post)                                                              \
    [JL_SLOT_ARGS] = pre JL_SLOT_NAME_ARGS post, [JL_SLOT_KWARGS] = pre JL_SLOT_NAME_KWARGS post, \
    [JL_SLOT_STATE] = pre JL_SLOT_NAME_STATE post, [JL_SLOT_ITEMS] = pre JL_SLOT_NAME_ITEMS post, \
    [JL_SLOT_CLASS] = pre JL_SLOT_NAME_CLASS post

#endif
