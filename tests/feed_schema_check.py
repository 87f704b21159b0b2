#!/usr/bin/python3
"""Holds feed messages to docs/feed-schema.json and docs/feed-schema.md.

Usage: feed_schema_check.py SCHEMA MD [--require-types T,..] [--require-snapshot T,..]
                            [--corpus DIR] [--sources F,..] [JSONL ...]

Each JSONL line is one frame as the daemon's --record-out writes it: "<topic> <json>".
Every message must:
  - validate against the schema (Draft 2020-12);
  - have a topic that agrees with its body (feed-schema.md "Topics": ids with every byte
    outside 0x21-0x7e replaced by '_');
  - have `time` equal to `t` as written (6 decimals) truncated to the millisecond;
  - carry only documented fields: every key, nested ones included, must be a property
    the schema lists for that type (an undocumented field fails, though consumers would
    ignore it).
Also: every property of the schema is named in the .md (in a code span), every key the
encoder sources (--sources: C files writing the feed with sg_jsonw) write is a schema
property (fields a replay does not exercise included), the .md's
example frames pass the same checks, the corpus files named valid_* pass them, each
type of --require-types appears (and with "snapshot": true for --require-snapshot),
and a self-test shows that each check fails on a message broken on purpose.
Exit 0 when all pass, 1 on a failure, 77 when python3-jsonschema is missing.
"""
import copy
import datetime
import decimal
import json
import os
import re
import sys

try:
    import jsonschema
except ImportError:
    print("feed_schema_check: python3-jsonschema is not installed "
          "(apt-get install python3-jsonschema): skipped")
    sys.exit(77)


def expected_topic(m):
    typ = m.get("type")
    if typ == "track":
        parts = ["track", str(m.get("id"))]
    elif typ == "alert":
        parts = ["alert", str(m.get("severity")), str(m.get("zone"))]
    elif typ == "status":
        parts = ["status", str(m.get("node"))]
    elif typ == "rf":
        parts = ["rf", str(m.get("sensor"))]
    else:
        return None
    raw = ".".join(parts).encode("utf-8")
    return "".join(chr(b) if 0x21 <= b <= 0x7e else "_" for b in raw)


def iso_ms(t_text):
    """t as written, truncated to the millisecond, as ISO 8601 UTC."""
    ms = int((decimal.Decimal(t_text) * 1000).to_integral_value(rounding=decimal.ROUND_FLOOR))
    sec, frac = divmod(ms, 1000)
    d = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=sec)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % frac


def resolve(schema, root):
    while "$ref" in schema:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def undocumented(inst, schema, root, where, out):
    """Keys of inst (recursively) that schema does not list as properties."""
    schema = resolve(schema, root)
    if isinstance(inst, dict) and "properties" in schema:
        for k, v in inst.items():
            if k not in schema["properties"]:
                out.append("%s.%s" % (where, k))
            else:
                undocumented(v, schema["properties"][k], root, "%s.%s" % (where, k), out)
    elif isinstance(inst, list) and isinstance(schema.get("items"), dict):
        for i, v in enumerate(inst):
            undocumented(v, schema["items"], root, "%s[%d]" % (where, i), out)


def property_names(schema, out):
    """Every property name the schema lists, nested ones included."""
    if isinstance(schema, dict):
        for k, v in schema.get("properties", {}).items():
            out.add(k)
            property_names(v, out)
        property_names(schema.get("items"), out)
        for v in schema.get("$defs", {}).values():
            property_names(v, out)


class Checker:
    def __init__(self, schema):
        self.schema = schema
        self.validator = jsonschema.Draft202012Validator(schema)

    def problems(self, frame):
        """All the ways a frame "<topic> <json>" breaks the contract (empty: none)."""
        topic, sep, body = frame.partition(" ")
        if not sep:
            return ["no '<topic> <json>' separator"]
        try:
            m = json.loads(body)
            raw = json.loads(body, parse_float=str, parse_int=str)
        except ValueError as e:
            return ["invalid JSON: %s" % e]
        if not isinstance(m, dict):
            return ["body is not an object"]
        out = ["schema: %s at /%s" % (e.message, "/".join(str(p) for p in e.absolute_path))
               for e in self.validator.iter_errors(m)]
        typ = m.get("type")
        if typ not in self.schema["$defs"]:
            out.append("type %r is not one the schema describes" % typ)
            return out
        want = expected_topic(m)
        if topic != want:
            out.append("topic %r disagrees with the body (expected %r)" % (topic, want))
        if isinstance(raw.get("t"), str) and isinstance(m.get("time"), str):
            try:
                exact = iso_ms(raw["t"])
            except (decimal.InvalidOperation, OverflowError, ValueError):
                exact = None
            if exact != m["time"]:
                out.append("time %s is not t=%s truncated to the ms (%s)" %
                           (m["time"], raw["t"], exact))
        extra = []
        undocumented(m, self.schema["$defs"][typ], self.schema, typ, extra)
        out += ["undocumented field %s" % k for k in extra]
        return out


def self_test(chk, examples):
    """Each check must fail on a message broken on purpose."""
    fails = []
    for typ, frame in sorted(examples.items()):
        topic, _, body = frame.partition(" ")
        m = json.loads(body)
        req = chk.schema["$defs"][typ]["required"][-1]
        broken = {
            "missing required %s" % req: {k: v for k, v in m.items() if k != req},
            "undocumented field": dict(m, not_in_the_schema=1),
            "time 1 ms off": dict(m, time=iso_ms(repr(m["t"] + 0.001))),
            "wrong type of t": dict(m, t=str(m["t"])),
        }
        for what, b in broken.items():
            if not chk.problems(topic + " " + json.dumps(b)):
                fails.append("self-test: %s on a %s passed" % (what, typ))
        if not chk.problems(topic + "x " + body):
            fails.append("self-test: a topic disagreeing with a %s passed" % typ)
    return fails


def main(argv):
    args, files = {}, []
    it = iter(argv[3:])
    for a in it:
        if a in ("--require-types", "--require-snapshot", "--corpus", "--sources"):
            args[a] = next(it, "")
        else:
            files.append(a)
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    with open(argv[2], encoding="utf-8") as f:
        md = f.read()
    chk = Checker(schema)
    fails = []

    # every schema property is documented in the .md (named in a code span)
    documented = set()
    for span in re.findall(r"`([^`\n]+)`", md):
        documented.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", span))
    names = set()
    property_names(schema, names)
    fails += ["field %s is in the schema but not in %s" % (n, argv[2])
              for n in sorted(names - documented)]

    # keys the encoder writes (sgjw_<kind>(w, "key", ...)), also where no replay goes
    for src in filter(None, args.get("--sources", "").split(",")):
        with open(src, encoding="utf-8") as f:
            keys = set(re.findall(r'sgjw_[a-z_]+\(&?w, "([A-Za-z0-9_]+)"', f.read()))
        fails += ["%s writes field %s, which the schema does not list" % (src, k)
                  for k in sorted(keys - names)]

    # the .md's example frames and the valid_* corpus seeds
    frames = [("%s example" % argv[2], l) for l in md.splitlines()
              if re.match(r"^(track|alert|status|rf)\.\S+ \{", l)]
    corpus = args.get("--corpus")
    if corpus:
        for name in sorted(os.listdir(corpus)):
            if name.startswith("valid_"):
                with open(os.path.join(corpus, name), encoding="utf-8") as f:
                    frames.append((os.path.join(corpus, name), f.read().rstrip("\n")))
    n_fixed = len(frames)
    for path in files:
        with open(path, encoding="utf-8") as f:
            frames += [("%s:%d" % (path, i + 1), l.rstrip("\n")) for i, l in enumerate(f)]

    seen, snap, examples = {}, {}, {}
    for where, frame in frames:
        p = chk.problems(frame)
        fails += ["%s: %s" % (where, x) for x in p]
        if p:
            continue
        m = json.loads(frame.partition(" ")[2])
        seen[m["type"]] = seen.get(m["type"], 0) + 1
        if m.get("snapshot"):
            snap[m["type"]] = snap.get(m["type"], 0) + 1
        examples.setdefault(m["type"], frame)
    for t in filter(None, args.get("--require-types", "").split(",")):
        if not seen.get(t):
            fails.append("no valid %s message at all" % t)
    for t in filter(None, args.get("--require-snapshot", "").split(",")):
        if not snap.get(t):
            fails.append("no %s message with \"snapshot\": true" % t)
    fails += self_test(chk, examples)

    print("feed_schema_check: %d frames (%d from the .md and corpus), by type %s, snapshot %s" %
          (len(frames), n_fixed, json.dumps(seen, sort_keys=True), json.dumps(snap, sort_keys=True)))
    for x in fails[:50]:
        print("FAIL", x)
    if len(fails) > 50:
        print("FAIL ... and %d more" % (len(fails) - 50))
    return 1 if fails else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv))
