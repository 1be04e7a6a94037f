#!/usr/bin/env python3
"""check_layers.py - checks the module structure of codec/ and ext/ from
the sources (issue 11): the rules CMake's per-layer include paths enforce
at compile time, plus the ones they cannot see.

Usage: check_layers.py ROOT [--graph FOLDER]
  ROOT     the source tree (holding codec/ and ext/)
  --graph  also print the module graph of FOLDER (e.g. codec/tree)

Every .c/.h under codec/ and ext/ belongs to a module: the header/source
pair of one stem in one folder (codec/tree/path.{c,h} is codec/tree/path).
A codec file's layer is its folder under codec/, bottom to top:
core < io < value < numpy < pickle < tree < write. Module A depends on
module B (A -> B) when A.c or A.h includes B.h, and, inside codec/, when
A.h declares a function that B.c defines (A's users then link with B: a
header shared by several sources hides a link circle from the includes).

It fails (exit 1), naming file, line and include for each finding, when
  (a) a codec file includes a header of a higher layer, a header of ext/,
      or SQLite's headers; or a codec header declares a function defined
      in a higher layer or in ext/ (ext/ may include anything);
  (b) the module graph has a circle: each is printed as a cycle of
      modules with the include or declaration behind every arrow;
  (c) in codec/, a header has no source of the same stem or a source no
      header, unless it is a header-only module of HEADER_ONLY below.
A quoted include in codec/ that names no codec/ or ext/ header is a
finding too (the layers' include paths hold nothing else). Python 3,
standard library only.
"""
import collections
import os
import re
import sys

LAYERS = ["core", "io", "value", "numpy", "pickle", "tree", "write"]

# Header-only codec modules, each with the reason it has no .c:
# "codec/<layer>/<name>.h": "why".
HEADER_ONLY = {
    "codec/tree/slots.h": "string constants only: the names of an object's slots",
}

INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]')
SQLITE_RE = re.compile(r"(^|/)sqlite3(ext)?\.h$")


class Module:
    def __init__(self, key, folder, stem):
        self.key = key  # "codec/tree/path"
        self.folder = folder  # "codec/tree"
        self.stem = stem
        self.files = {}  # ".c" / ".h" -> relative path

    @property
    def layer(self):
        parts = self.folder.split("/")
        return parts[1] if parts[0] == "codec" and len(parts) > 1 else None


def strip_comments(text):
    """The text with comments, string and char literals blanked (newlines
    kept, so line numbers stay)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + (c if j - 1 > i else ""))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def includes_of(text):
    """(line, kind '<' or '"', name) of each #include outside comments."""
    res = []
    raw = text.split("\n")
    for ln, line in enumerate(strip_comments(text).split("\n"), 1):
        if re.match(r"^[ \t]*#[ \t]*include\b", line):
            m = INCLUDE_RE.match(raw[ln - 1])
            if m:
                res.append((ln, m.group(1), m.group(2)))
    return res


FUNC_HEAD_RE = re.compile(r"^([\w\s\*]*?)\b([A-Za-z_]\w*)\s*\(")


def functions_of(text):
    """File-scope functions that are not static: (name, line, is_definition)."""
    code = strip_comments(text)
    # preprocessor lines (with their continuations) are not code
    lines = code.split("\n")
    in_pp = False
    for k, line in enumerate(lines):
        if in_pp or re.match(r"^\s*#", line):
            in_pp = line.rstrip().endswith("\\")
            lines[k] = ""
    code = "\n".join(lines)
    res = []
    depth = 0
    body = False  # the open block is a function body
    tail = False  # after an aggregate or initializer block: skip to ';'
    head_start = None
    for pos, c in enumerate(code):
        if depth > 0:
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    if body:
                        head_start = None
                    else:
                        tail = True
            continue
        if c in "{;":
            found = None
            if not tail and head_start is not None:
                found = parse_head(code[head_start:pos])
                if found and not found[2]:
                    name, offset = found[0], found[1]
                    res.append((name, code.count("\n", 0, head_start + offset) + 1, c == "{"))
            if c == "{":
                depth, body = 1, bool(found)
                if not found:
                    tail = True
            else:
                head_start, tail = None, False
            continue
        if head_start is None and not c.isspace():
            head_start = pos
    return res


# A line that only invokes a macro: NAME(...) or an upper-case NAME.
MACRO_LINE_RE = re.compile(r"^\s*(?:[A-Za-z_]\w*\s*\([^()]*(?:\([^()]*\)[^()]*)*\)|[A-Z_][A-Z0-9_]*)[ \t]*\n")


def parse_head(stmt):
    """(name, offset, is_static) when stmt declares or defines a function.
    Leading lines that only invoke a macro (SQLITE_EXTENSION_INIT1,
    __declspec(...), a macro defining a function) are passed over: what
    such a macro defines is not seen."""
    skip = 0
    while True:
        m = MACRO_LINE_RE.match(stmt[skip:])
        if not m:
            break
        skip += m.end()
    s = stmt[skip:].strip()
    if not s or "=" in s.split("(")[0]:
        return None
    words = re.findall(r"[A-Za-z_]\w*", s.split("(")[0])
    if not words or words[0] in ("typedef", "struct", "union", "enum"):
        return None
    lead = skip + len(stmt[skip:]) - len(stmt[skip:].lstrip())
    m = FUNC_HEAD_RE.match(s)
    if not m or not re.search(r"[A-Za-z_]", m.group(1)):
        return None  # no return type before the name: not a prototype
    return m.group(2), lead + m.start(2), "static" in words


class Checker:
    def __init__(self, root):
        self.root = root
        self.modules = {}  # key -> Module
        self.file_module = {}  # relative path -> Module
        self.by_name = collections.defaultdict(list)  # header base name -> [relative paths]
        self.problems = {"a": [], "b": [], "c": []}
        self.edges = collections.defaultdict(dict)  # key -> {key: evidence}

    def scan(self):
        for top in ("codec", "ext"):
            base = os.path.join(self.root, top)
            if not os.path.isdir(base):
                continue
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames.sort()
                for fn in sorted(filenames):
                    stem, ext = os.path.splitext(fn)
                    if ext not in (".c", ".h"):
                        continue
                    rel = os.path.relpath(os.path.join(dirpath, fn), self.root).replace(os.sep, "/")
                    folder = os.path.dirname(rel)
                    key = folder + "/" + stem
                    mod = self.modules.setdefault(key, Module(key, folder, stem))
                    mod.files[ext] = rel
                    self.file_module[rel] = mod
                    if ext == ".h":
                        self.by_name[fn].append(rel)
        for rel, mod in self.file_module.items():
            if rel.startswith("codec/") and mod.layer not in LAYERS:
                self.problems["a"].append(
                    "%s: not in a layer folder (codec/<%s>/)" % (rel, "|".join(LAYERS)))

    def read(self, rel):
        with open(os.path.join(self.root, rel), encoding="utf-8", errors="replace") as f:
            return f.read()

    def resolve(self, rel, name):
        """The relative path of the header a quoted include names, searched
        as the compiler does: the includer's folder, the codec layers
        bottom up, then ext/."""
        folder = os.path.dirname(rel)
        order = [folder] + ["codec/" + l for l in LAYERS] + ["ext"]
        for d in order:
            cand = d + "/" + name
            if cand in self.file_module:
                return cand
        return None

    def layer_rank(self, mod):
        return LAYERS.index(mod.layer) if mod.layer in LAYERS else None

    def check_includes(self):
        for rel in sorted(self.file_module):
            mod = self.file_module[rel]
            in_codec = rel.startswith("codec/")
            for line, kind, name in includes_of(self.read(rel)):
                shown = '<%s>' % name if kind == "<" else '"%s"' % name
                if in_codec and SQLITE_RE.search(name):
                    self.problems["a"].append(
                        "%s:%d: includes %s: codec/ must not depend on SQLite (that is ext/)" % (rel, line, shown))
                    continue
                if kind == "<":
                    continue
                target = self.resolve(rel, name)
                if target is None:
                    if in_codec:
                        self.problems["a"].append(
                            "%s:%d: includes %s, which is no header of codec/ or ext/" % (rel, line, shown))
                    continue
                tmod = self.file_module[target]
                if in_codec:
                    if target.startswith("ext/"):
                        self.problems["a"].append(
                            "%s:%d: includes %s (%s): codec/ must not include ext/ headers"
                            % (rel, line, shown, target))
                    else:
                        r, tr = self.layer_rank(mod), self.layer_rank(tmod)
                        if r is not None and tr is not None and tr > r:
                            self.problems["a"].append(
                                "%s:%d: includes %s (%s): layer %s may include only %s"
                                % (rel, line, shown, target, mod.layer, ", ".join(LAYERS[:r + 1])))
                if tmod is not mod:
                    self.edges[mod.key].setdefault(tmod.key, "%s:%d includes %s" % (rel, line, shown))

    def check_declarations(self):
        """Inside codec/: a header declaring a function defined by another
        module's source makes the header's module depend on that one."""
        defined = {}  # name -> (rel, line)
        for rel in sorted(self.file_module):
            if rel.endswith(".c"):
                for name, line, is_def in functions_of(self.read(rel)):
                    if is_def:
                        defined.setdefault(name, (rel, line))
        for rel in sorted(self.file_module):
            if not (rel.startswith("codec/") and rel.endswith(".h")):
                continue
            hmod = self.file_module[rel]
            for name, line, is_def in functions_of(self.read(rel)):
                if is_def or name not in defined:
                    continue
                drel, dline = defined[name]
                dmod = self.file_module[drel]
                if dmod is hmod:
                    continue
                ev = "%s:%d declares %s(), defined in %s:%d" % (rel, line, name, drel, dline)
                if drel.startswith("ext/"):
                    self.problems["a"].append("%s: codec/ must not depend on ext/" % ev)
                else:
                    r, dr = self.layer_rank(hmod), self.layer_rank(dmod)
                    if r is not None and dr is not None and dr > r:
                        self.problems["a"].append(
                            "%s: layer %s may depend only on %s" % (ev, hmod.layer, ", ".join(LAYERS[:r + 1])))
                self.edges[hmod.key].setdefault(dmod.key, ev)

    def sccs(self):
        """Strongly connected components (Tarjan, iterative)."""
        index, low, on, stack, out = {}, {}, set(), [], []
        counter = [0]
        nodes = sorted(self.modules)
        for start in nodes:
            if start in index:
                continue
            work = [(start, iter(sorted(self.edges.get(start, {}))))]
            index[start] = low[start] = counter[0]
            counter[0] += 1
            stack.append(start)
            on.add(start)
            while work:
                v, it = work[-1]
                advanced = False
                for w in it:
                    if w not in index:
                        index[w] = low[w] = counter[0]
                        counter[0] += 1
                        stack.append(w)
                        on.add(w)
                        work.append((w, iter(sorted(self.edges.get(w, {})))))
                        advanced = True
                        break
                    if w in on:
                        low[v] = min(low[v], index[w])
                if advanced:
                    continue
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(sorted(comp))
        return out

    def shortest_path(self, src, dst, allowed):
        prev = {src: None}
        queue = collections.deque([src])
        while queue:
            v = queue.popleft()
            if v == dst:
                break
            for w in sorted(self.edges.get(v, {})):
                if w in allowed and w not in prev:
                    prev[w] = v
                    queue.append(w)
        if dst not in prev:
            return None
        path = [dst]
        while prev[path[-1]] is not None:
            path.append(prev[path[-1]])
        return path[::-1]

    def check_cycles(self):
        for comp in self.sccs():
            if len(comp) < 2:
                continue
            members = set(comp)
            covered = set()
            cycles = []
            for u in comp:
                for v in sorted(self.edges.get(u, {})):
                    if v not in members or (u, v) in covered:
                        continue
                    back = self.shortest_path(v, u, members)
                    cyc = [u] + back
                    for a, b in zip(cyc, cyc[1:]):
                        covered.add((a, b))
                    cycles.append(cyc)
            for cyc in cycles:
                lines = ["module cycle: " + " -> ".join(cyc)]
                for a, b in zip(cyc, cyc[1:]):
                    lines.append("    %s -> %s: %s" % (a, b, self.edges[a][b]))
                self.problems["b"].append("\n".join(lines))

    def check_pairs(self):
        for key in sorted(self.modules):
            mod = self.modules[key]
            if not key.startswith("codec/"):
                continue
            h, c = mod.files.get(".h"), mod.files.get(".c")
            if h and not c and h not in HEADER_ONLY:
                self.problems["c"].append(
                    "%s: header without a source %s.c (a header-only module goes in HEADER_ONLY "
                    "in tests/layers/check_layers.py, with its reason)" % (h, mod.stem))
            if c and not h:
                self.problems["c"].append(
                    "%s: source without a header %s.h (what it defines is declared in another "
                    "module's header, or nowhere)" % (c, mod.stem))
            if h and c and h in HEADER_ONLY:
                self.problems["c"].append("%s: listed in HEADER_ONLY but has %s" % (h, c))
        for h in sorted(HEADER_ONLY):
            if h not in self.file_module:
                self.problems["c"].append("%s: listed in HEADER_ONLY but does not exist" % h)
        for name, rels in sorted(self.by_name.items()):
            codec = [r for r in rels if r.startswith("codec/")]
            if len(codec) > 1:
                self.problems["c"].append(
                    "header name %s is in %s: the layers' include paths would pick one"
                    % (name, " and ".join(codec)))

    def run(self):
        self.scan()
        self.check_includes()
        self.check_declarations()
        self.check_cycles()
        self.check_pairs()
        return self.problems

    def graph(self, folder):
        folder = folder.rstrip("/")
        res = []
        for key in sorted(self.modules):
            if self.modules[key].folder != folder:
                continue
            deps = [d for d in sorted(self.edges.get(key, {}))]
            res.append("%s -> %s" % (key, ", ".join(deps) if deps else "(nothing)"))
        return res


TITLES = {
    "a": "(a) includes across layers",
    "b": "(b) circles in the module graph",
    "c": "(c) headers and sources without their pair",
}


def main(argv):
    args = argv[1:]
    graph = None
    if "--graph" in args:
        k = args.index("--graph")
        if k + 1 >= len(args):
            sys.stderr.write(__doc__)
            return 2
        graph = args[k + 1]
        del args[k:k + 2]
    if len(args) != 1 or not os.path.isdir(os.path.join(args[0], "codec")):
        sys.stderr.write(__doc__)
        return 2
    chk = Checker(args[0])
    problems = chk.run()
    if graph:
        print("module graph of %s (A -> what A depends on):" % graph)
        for line in chk.graph(graph):
            print("  " + line)
    total = sum(len(v) for v in problems.values())
    for kind in ("a", "b", "c"):
        if problems[kind]:
            print("%s: %d" % (TITLES[kind], len(problems[kind])))
            for p in problems[kind]:
                print("  " + p.replace("\n", "\n  "))
    nfiles = len(chk.file_module)
    if total:
        print("check_layers: FAILED, %d finding(s) in %d files of codec/ and ext/" % (total, nfiles))
        return 1
    print("check_layers: ok, %d files, %d modules: no include across layers, no circle, "
          "every codec header with its source" % (nfiles, len(chk.modules)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
