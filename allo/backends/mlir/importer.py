"""Import affine MLIR text back into Allo's IR: ``from_mlir(text) -> Module``.

Upstream MLIR parses and verifies the text; the importer then walks the operations and
rebuilds IR nodes. It covers what :func:`allo.ir.printer.to_mlir` emits for pure affine
kernels, so ``to_mlir(from_mlir(to_mlir(m))) == to_mlir(m)`` for them:

* ``func.func`` (argument names are read from the text's ``%name:`` spelling, types from
  ``allo.type`` attributes), ``func.return`` of values or buffers, ``func.call``;
* ``memref.alloc`` (``name``/``allo.type``/``allo.stream`` attributes) with its
  ``linalg.fill`` initialiser, ``affine.for`` (constant or affine-map bounds with
  ``min``/``max``; every loop attribute is kept), ``affine.if``/``scf.if``;
* ``affine.load/store`` (affine maps become index expressions), ``memref.load/store``;
* ``arith`` constants, arithmetic, comparisons, ``select`` and casts on integers and
  floats, ``math`` intrinsics.

Not imported (a :class:`~allo.errors.BackendError` names the op): fixed-point raw-bit
sequences are read as integer ops, signed remainders (the printer's Python-``%`` sign fix
uses ``remsi``), stream calls, ``scf.while``, ``memref.subview`` and ``memref.global``.
Signedness of intermediate values follows their operands (loads know their buffer's
``allo.type``; constants adapt to the other operand).

Example::

    >>> from allo.backends.mlir.importer import from_mlir
    >>> m = from_mlir('func.func @f(%A: memref<4xi32>) { return }')
    >>> m.top, [p.name for p in m.top_func.params]
    ('f', ['A'])
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from ...errors import BackendError
from ...ir import types as T
from ...semantics.registry import ops
from ...ir.nodes import (Alloc, BufRef, Call, Const, Expr, For, Func, If, Load, Module, Op, Param,
                         Return, Stmt, Store, Var)

_BIN = {"addi": "add", "addf": "add", "subi": "sub", "subf": "sub", "muli": "mul", "mulf": "mul",
        "divf": "div", "divsi": "div", "divui": "div", "floordivsi": "floordiv", "remui": "mod",
        "minsi": "min", "minui": "min", "minimumf": "min", "maxsi": "max", "maxui": "max",
        "maximumf": "max", "andi": "and", "ori": "or", "xori": "xor", "shli": "shl",
        "shrsi": "shr", "shrui": "shr"}
_CASTS = {"extsi", "extui", "trunci", "sitofp", "uitofp", "fptosi", "fptoui", "extf", "truncf",
          "index_cast", "index_castui"}
_CMPI = ["eq", "ne", "lt", "le", "gt", "ge", "lt", "le", "gt", "ge"]  # arith::CmpIPredicate order
_CMPF = {1: "eq", 2: "gt", 3: "ge", 4: "lt", 5: "le", 13: "ne"}  # oeq ogt oge olt ole une
_MATH = frozenset(ops(group="math", arity=1))  # math.<name> ops
_LOOP_KEYS = {"lowerBoundMap", "upperBoundMap", "step", "operandSegmentSizes", "loop_name", "op_name"}


def from_mlir(text: str) -> Module:
    """Parse affine MLIR ``text`` (as :func:`allo.ir.printer.to_mlir` prints it) into IR.

    Example: ``from_mlir(to_mlir(module))`` rebuilds ``module``'s functions.
    """
    from iree.compiler import ir

    ctx = ir.Context()
    try:
        mod = ir.Module.parse(text, ctx)
    except Exception as e:
        raise BackendError(f"MLIR text does not parse: {e}", hint="check the text with mlir-opt") from e
    funcs: Dict[str, Func] = {}
    ops = [op.operation for op in mod.body.operations]
    signatures = {_str(op.attributes["sym_name"]): op for op in ops if op.name == "func.func"}
    for op in ops:
        if op.name == "func.func" and len(op.regions[0].blocks) > 0:
            name = _str(op.attributes["sym_name"])
            funcs[name] = _FuncImporter(ir, op, _arg_names(text, name), signatures).run()
        elif op.name != "func.func":
            raise BackendError(f"cannot import top-level op {op.name!r}", hint="only func.func is supported")
    if not funcs:
        raise BackendError("the MLIR module has no function with a body")
    attrs = mod.operation.attributes
    top = _str(attrs["allo.top"]) if "allo.top" in attrs else list(funcs)[-1]
    return Module(funcs, top)


def _str(attr: Any) -> str:
    from iree.compiler import ir
    return ir.StringAttr(attr).value


def _arg_names(text: str, func: str) -> List[str]:
    """The ``%name`` spellings of ``func``'s arguments (MLIR drops SSA names on parsing)."""
    start = text.find(f"func.func @{func}(")
    if start < 0:
        return []
    i, depth, quoted, names = text.index("(", start), 0, False, []
    while i < len(text):
        ch = text[i]
        if quoted:
            quoted = not (ch == '"' and text[i - 1] != "\\")
        elif ch == '"':
            quoted = True
        elif ch in "(<[{":
            depth += 1
        elif ch in ")>]}":
            depth -= 1
            if depth == 0:
                break
        elif ch == "%" and depth == 1:
            m = re.match(r"%([A-Za-z0-9_$.\-]+)\s*:", text[i:])
            if m:
                names.append(m.group(1))
        i += 1
    return names


class _FuncImporter:
    def __init__(self, ir: Any, op: Any, names: List[str], signatures: Dict[str, Any]):
        self.ir, self.op, self.names, self.signatures = ir, op, names, signatures
        self.values: Dict[Any, Any] = {}  # mlir Value -> Expr | ("buf", name)
        self.elems: Dict[str, T.AlloType] = {}  # buffer name -> element type
        self.used: set = set()
        self.band = ""
        self.pending_alloc: Optional[Alloc] = None

    def fail(self, op: Any, why: str = "") -> None:
        raise BackendError(f"cannot import {op.name!r} into Allo IR{': ' + why if why else ''}",
                           where=f"function {_str(self.op.attributes['sym_name'])!r}")

    # -- types --
    def scalar_type(self, mt: Any, override: Optional[str] = None) -> T.AlloType:
        if override:
            return _parse_type(override)
        ir = self.ir
        if isinstance(mt, ir.IndexType):
            return T.index
        if isinstance(mt, ir.IntegerType):
            w = ir.IntegerType(mt).width
            return T.bool_ if w == 1 else T.Int(w)
        spelled = str(mt)
        kinds = {"f16": T.float16, "bf16": T.bfloat16, "f32": T.float32, "f64": T.float64}
        if spelled in kinds:
            return kinds[spelled]
        raise BackendError(f"cannot import MLIR type {spelled!r}")

    def buffer_type(self, mt: Any, attrs: Dict[str, Any]) -> Any:
        m = self.ir.MemRefType(mt)
        elem = self.scalar_type(m.element_type, attrs.get("allo.type"))
        if "allo.stream" in attrs:
            elem = T.StreamType(elem, int(attrs["allo.stream"]))
            if not m.shape:
                return elem
        return T.BufferType(elem, tuple(m.shape))

    def attr_values(self, attrs: Any, skip: set = frozenset()) -> Dict[str, Any]:
        ir, out = self.ir, {}
        for named in list(attrs):
            key = named if isinstance(named, str) else named.name
            if key in skip:
                continue
            a = attrs[key]
            if isinstance(a, ir.UnitAttr):
                out[key] = True
            elif isinstance(a, ir.BoolAttr):
                out[key] = ir.BoolAttr(a).value
            elif isinstance(a, ir.IntegerAttr):
                out[key] = ir.IntegerAttr(a).value
            elif isinstance(a, ir.StringAttr):
                out[key] = ir.StringAttr(a).value
            elif isinstance(a, ir.FloatAttr):
                out[key] = ir.FloatAttr(a).value
            elif isinstance(a, ir.ArrayAttr):
                out[key] = [ir.IntegerAttr(x).value if isinstance(x, ir.IntegerAttr) else str(x)
                            for x in ir.ArrayAttr(a)]
            else:
                out[key] = str(a)
        return out

    def fresh(self, base: str) -> str:
        name, n = base, 0
        while name in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name

    # -- function --
    def run(self) -> Func:
        ir, op = self.ir, self.op
        ftype = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
        arg_attrs = self._dicts("arg_attrs", len(ftype.inputs))
        res_attrs = self._dicts("res_attrs", len(ftype.results))
        block = op.regions[0].blocks[0]
        params = []
        for k, (arg, mt) in enumerate(zip(block.arguments, ftype.inputs)):
            name = self.fresh(self.names[k] if k < len(self.names) else f"arg{k}")
            if isinstance(mt, ir.MemRefType):
                ty = self.buffer_type(mt, arg_attrs[k])
                self.register(arg, name, ty)
            else:
                ty = self.scalar_type(mt, arg_attrs[k].get("allo.type"))
                self.values[arg] = Var(name, ty)
            params.append(Param(name, ty))
        results = [self.buffer_type(mt, res_attrs[k]) if isinstance(mt, ir.MemRefType)
                   else self.scalar_type(mt, res_attrs[k].get("allo.type"))
                   for k, mt in enumerate(ftype.results)]
        self.results = results
        body = self.block(block)
        fattrs = self.attr_values(op.attributes, {"sym_name", "function_type", "arg_attrs",
                                                  "res_attrs", "sym_visibility"})
        return Func(_str(op.attributes["sym_name"]), params, results, body, fattrs)

    def _dicts(self, key: str, n: int) -> List[Dict[str, Any]]:
        if key not in self.op.attributes:
            return [{} for _ in range(n)]
        return [self.attr_values(self.ir.DictAttr(d)) for d in self.ir.ArrayAttr(self.op.attributes[key])]

    def block(self, block: Any) -> List[Stmt]:
        out: List[Stmt] = []
        for op in block.operations:
            stmt = self.operation(op.operation)
            if stmt is not None:
                out.append(stmt)
        return out

    # -- operations --
    def operation(self, op: Any) -> Optional[Stmt]:
        name = op.name
        if name in ("affine.yield", "scf.yield"):
            return None
        if name == "affine.for":
            return self.affine_for(op)
        if name == "memref.alloc":
            attrs = self.attr_values(op.attributes)
            ty = self.buffer_type(op.result.type, attrs)
            buf = self.fresh(attrs.get("name", "buf"))
            self.register(op.result, buf, ty)
            self.pending_alloc = Alloc(buf, ty if isinstance(ty, T.BufferType) else T.BufferType(ty, ()))
            return self.pending_alloc
        if name == "linalg.fill":
            value, target = (self.values[v] for v in op.operands)
            alloc = self.pending_alloc
            if alloc is None or target != ("buf", alloc.name):
                self.fail(op, "only a fill right after its memref.alloc is supported")
            is_zero = isinstance(value, Const) and value.value == 0
            alloc.init = None if is_zero else value
            return None
        if name in ("affine.store", "memref.store"):
            self.pending_alloc = None
            value = self.expr(op.operands[0])
            buf = self.values[op.operands[1]][1]
            value = self.retype(value, self.elems[buf])
            if value.type != self.elems[buf]:
                self.fail(op, f"a {value.type!r} value stored into {buf!r} of {self.elems[buf]!r} "
                              "(fixed-point raw-bit arithmetic is not imported)")
            return Store(buf, self.indices(op, 2), value)
        if op.regions or name.startswith("func."):
            self.pending_alloc = None  # a fill must directly follow its alloc
        if name in ("affine.if", "scf.if"):
            return self.branch(op)
        if name == "func.return":
            vals = [BufRef(v[1]) if isinstance(v, tuple) else v for v in (self.values[x] for x in op.operands)]
            return Return([self.retype(v, t) if isinstance(v, Expr) else v for v, t in zip(vals, self.results)])
        if name == "func.call":
            return self.call(op)
        if name in ("memref.copy",) or name.startswith("scf.") or name.endswith("subview"):
            self.fail(op)
        self.values[op.result] = self.value_op(op)
        return None

    def affine_for(self, op: Any) -> For:
        ir = self.ir
        lb_map = ir.AffineMapAttr(op.attributes["lowerBoundMap"]).value
        ub_map = ir.AffineMapAttr(op.attributes["upperBoundMap"]).value
        ops = list(op.operands)
        lb_ops, ub_ops = ops[:lb_map.n_inputs], ops[lb_map.n_inputs:lb_map.n_inputs + ub_map.n_inputs]
        lo = self.bound(lb_map, lb_ops, "max")
        hi = self.bound(ub_map, ub_ops, "min")
        attrs = self.attr_values(op.attributes, _LOOP_KEYS)
        loop_name = _str(op.attributes["loop_name"]) if "loop_name" in op.attributes else "i"
        band = _str(op.attributes["op_name"]) if "op_name" in op.attributes else self.band
        var = self.fresh(attrs.pop("allo.var", loop_name))
        iv = op.regions[0].blocks[0].arguments[0]
        self.values[iv] = Var(var, T.index)
        outer, self.band = self.band, band
        body = self.block(op.regions[0].blocks[0])
        self.band = outer
        step = ir.IntegerAttr(op.attributes["step"]).value
        return For(var, lo, hi, step, body, name=loop_name, band=band, attrs=attrs)

    def register(self, value: Any, name: str, ty: Any) -> None:
        self.values[value] = ("buf", name)
        elem = ty.dtype if isinstance(ty, T.BufferType) else ty
        self.elems[name] = elem.dtype if isinstance(elem, T.StreamType) else elem

    def bound(self, amap: Any, operands: List[Any], kind: str) -> Expr:
        exprs = [self.affine_expr(e, operands, amap.n_dims) for e in amap.results]
        out = exprs[0]
        for e in exprs[1:]:
            out = Op(kind, (out, e), T.index)
        return out

    def affine_expr(self, e: Any, operands: List[Any], n_dims: int) -> Expr:
        ir = self.ir
        if isinstance(e, ir.AffineConstantExpr):
            return Const(ir.AffineConstantExpr(e).value, T.index)
        if isinstance(e, ir.AffineDimExpr):
            return self.expr(operands[ir.AffineDimExpr(e).position])
        if isinstance(e, ir.AffineSymbolExpr):  # symbols follow the dims in the operand list
            return self.expr(operands[n_dims + ir.AffineSymbolExpr(e).position])
        for cls, name in ((ir.AffineAddExpr, "add"), (ir.AffineMulExpr, "mul"),
                          (ir.AffineFloorDivExpr, "floordiv"), (ir.AffineModExpr, "mod")):
            if isinstance(e, cls):
                b = cls(e)
                lhs, rhs = (self.affine_expr(x, operands, n_dims) for x in (b.lhs, b.rhs))
                if name == "add" and isinstance(rhs, Const) and rhs.value < 0:
                    return Op("sub", (lhs, Const(-rhs.value, T.index)), T.index)
                if name == "add" and isinstance(rhs, Op) and rhs.op == "mul" and \
                        isinstance(rhs.args[1], Const) and rhs.args[1].value < 0:
                    neg = Const(-rhs.args[1].value, T.index)
                    sub = rhs.args[0] if neg.value == 1 else Op("mul", (rhs.args[0], neg), T.index)
                    return Op("sub", (lhs, sub), T.index)
                return Op(name, (lhs, rhs), T.index)
        raise BackendError(f"cannot import affine expression {e}")

    def indices(self, op: Any, first: int) -> Tuple[Expr, ...]:
        operands = list(op.operands)[first:]
        if op.name.startswith("affine."):
            amap = self.ir.AffineMapAttr(op.attributes["map"]).value
            return tuple(self.affine_expr(e, operands, amap.n_dims) for e in amap.results)
        return tuple(self.expr(v) for v in operands)

    def branch(self, op: Any) -> If:
        if op.name == "scf.if":
            cond = self.expr(op.operands[0])
        else:
            self.fail(op, "affine.if conditions are not imported yet; use scf.if")
        then_body = self.block(op.regions[0].blocks[0])
        else_body = self.block(op.regions[1].blocks[0]) if len(op.regions[1].blocks) else []
        return If(cond, then_body, else_body)

    def call(self, op: Any) -> Stmt:
        callee = self.ir.FlatSymbolRefAttr(op.attributes["callee"]).value
        args = [BufRef(v[1]) if isinstance(v, tuple) else v for v in (self.values[x] for x in op.operands)]
        if len(op.results):
            self.fail(op, "calls with results are not imported yet")
        return Call(callee, args)

    def expr(self, v: Any) -> Expr:
        e = self.values.get(v)
        if e is None or isinstance(e, tuple):
            raise BackendError("a value is used before it is defined, or a buffer used as a scalar")
        return e

    def retype(self, e: Expr, t: Any) -> Expr:
        """Constants take the type their consumer needs (MLIR's ``iN`` has no sign)."""
        if isinstance(e, Const) and isinstance(t, T.AlloType) and e.type != t and \
                not t.is_float and not e.type.is_float:
            return Const(t.wrap(e.value) if hasattr(t, "wrap") else e.value, t)
        return e

    def value_op(self, op: Any) -> Expr:
        ir, name = self.ir, op.name
        dialect, short = name.split(".", 1)
        if name == "arith.constant":
            t = self.scalar_type(op.result.type)
            a = op.attributes["value"]
            if t.is_float:
                return Const(ir.FloatAttr(a).value, t)
            return Const(ir.IntegerAttr(a).value if not isinstance(a, ir.BoolAttr) else int(ir.BoolAttr(a).value), t)
        if name in ("affine.load", "memref.load"):
            buf = self.values[op.operands[0]][1]
            return Load(buf, self.indices(op, 1), self.elems[buf])
        args = [self.expr(v) for v in op.operands]
        if dialect == "arith" and short in _BIN:
            a, b = self.unify(args, short)
            mask = (1 << a.type.bits) - 1 if not a.type.is_float else 0
            if short == "xori" and isinstance(b, Const) and mask and (b.value & mask) == mask:
                return Op("lnot" if a.type == T.bool_ else "not", (a,), a.type)
            opname = _BIN[short]
            if a.type == T.bool_ and opname in ("and", "or"):
                opname = "l" + opname
            return Op(opname, (a, b), a.type)
        if name in ("arith.cmpi", "arith.cmpf"):
            pred = ir.IntegerAttr(op.attributes["predicate"]).value
            a, b = self.unify(args, "cmp")
            table = _CMPF if short == "cmpf" else dict(enumerate(_CMPI))
            if pred not in table:
                self.fail(op, f"predicate {pred}")
            return Op(table[pred], (a, b), T.bool_)
        if name == "arith.select":
            a, b = self.unify(args[1:], "select")
            return Op("select", (args[0], a, b), a.type)
        if dialect == "arith" and short in _CASTS:
            dst = self.scalar_type(op.result.type)
            if short in ("fptoui", "index_castui") and not dst.is_index:
                dst = T.Int(dst.bits, False)
            return Op("cast", (args[0],), dst)
        if name == "arith.negf":
            return Op("neg", (args[0],), args[0].type)
        if dialect == "math" and short in _MATH:
            return Op(short, (args[0],), args[0].type)
        if name in ("math.absf", "math.absi"):
            return Op("abs", (args[0],), args[0].type)
        if name == "math.powf":
            return Op("pow", tuple(args), args[0].type)
        self.fail(op)
        raise AssertionError

    def unify(self, args: List[Expr], why: str) -> Tuple[Expr, Expr]:
        """Give both operands one Allo type: constants adapt; values that differ only in
        signedness (one MLIR ``iN``) are reinterpreted with a bit-preserving cast."""
        a, b = args
        if isinstance(a, Const) and not isinstance(b, Const):
            a = self.retype(a, b.type)
        elif isinstance(b, Const):
            b = self.retype(b, a.type)
        if a.type != b.type:
            if a.type.mlir() != b.type.mlir() or a.type.is_fixed or b.type.is_fixed:
                raise BackendError(f"operands of {why!r} have types {a.type!r} and {b.type!r}")
            b = Op("cast", (b,), a.type)
        return a, b


def _parse_type(text: str) -> T.AlloType:
    """Read back an ``allo.type`` attribute (the type's ``repr``)."""
    m = re.fullmatch(r"(U?)Fixed\((\d+), (\d+)\)", text)
    if m:
        return T.Fixed(int(m.group(2)), int(m.group(3)), not m.group(1))
    if text == "bool":
        return T.bool_
    m = re.fullmatch(r"(u?)int(\d+)", text)
    if m:
        return T.Int(int(m.group(2)), not m.group(1))
    named = {"index": T.index, "float16": T.float16, "bfloat16": T.bfloat16,
             "float32": T.float32, "float64": T.float64}
    if text in named:
        return named[text]
    raise BackendError(f"unknown allo.type {text!r}")
