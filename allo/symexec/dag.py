"""A hash-consed expression DAG with exact canonicalization.

Nodes are plain tuples ``(opcode, type_id, *children)`` interned in a dict, so two
structurally equal terms get the same integer id and "same id" means "same value". Leaves:

* ``(CONST, type_id, payload)``: ``payload`` is the int value (raw bits for fixed point)
  or, for floats, the IEEE bit pattern (so ``-0.0``/``+0.0`` and NaNs stay distinct);
* ``(INPUT, type_id, name_id, flat_index)``: cell ``flat_index`` of input ``name``
  (``-1`` for a scalar parameter).

The opcodes and the packed keys that identify op nodes are :mod:`allo.symexec.dag_keys`.

Canonicalization is exact (it never changes a value): constants are folded with the
semantics registry's concrete meaning; integer ``add``/``mul``/``and``/``or``/``xor``/
``min``/``max`` are flattened, sorted and constants folded (``add`` additionally collects
like terms with coefficients modulo ``2**n``, ``sub``/``neg`` become coefficients);
binary float ``add``/``mul`` are sorted (IEEE commutativity is exact); under
``fp="reassoc"`` float ``add``/``mul`` chains are also flattened (an approximation that the
verdict reports); casts fold where exact (same type, lossless widening followed by a cast).
The laws come from the op registry (:attr:`allo.semantics.registry.OpSemantics.laws`).

:meth:`Dag.op` applies these rules eagerly. The symbolic executor does not call it in its
hot loop: it builds *raw* nodes (:mod:`allo.symexec.builders`: constant folding and
commutative operand order only) and canonicalizes lazily, with these same rules, only the
output cells whose raw ids differ (:mod:`allo.symexec.canon`).

Example::

    >>> from allo.ir.types import int8
    >>> d = Dag()
    >>> x = d.input("x", -1, int8)
    >>> d.op("mul", int8, (x, d.const(2, int8))) == d.op("add", int8, (x, x))
    True
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..ir.nodes import postorder
from ..ir.types import AlloType, Fixed, Float, wrap_int
from ..ir.widths import is_lossless_cast
from ..semantics.registry import REGISTRY
from ..semantics.values import const_value, float_bits, float_from_bits
# the node encoding (re-exported: builders, canon, z3_encode and tests import it from here)
from .dag_keys import (CONST, ID_BITS, INPUT, MAX_NODES, OP_NAMES, OPCODE, NodeView, key_prefix,
                       node_key, too_many_nodes, unpack_key)


def _specialize(op: str, arg_types: Sequence[AlloType], rtype: AlloType) -> Callable:
    """The registry's concrete meaning of ``op`` at these types (never re-implemented)."""
    from ..semantics import specialize

    return specialize(op, list(arg_types), rtype)


def _is_int(t: AlloType) -> bool:
    return t.is_int and not t.is_fixed


_lossless = is_lossless_cast  # one definition, in allo/ir/widths.py


class Dag:
    """The node store. ``fp`` is ``"exact"`` (default) or ``"reassoc"``.

    Example: ``Dag().const(3, int8)`` returns the id of the constant 3.
    """

    def __init__(self, fp: str = "exact") -> None:
        if fp not in ("exact", "reassoc"):
            raise ValueError(f"fp policy must be 'exact' or 'reassoc', got {fp!r}")
        self.fp = fp
        self.packed: List[Any] = []  # node id -> its tuple, or its packed key (see node())
        self.ids: Dict[Tuple, int] = {}  # leaf / wide node tuple -> node id
        # key_prefix(code, tt, arity) -> {children packed in 32-bit fields: node id}
        self.tables: Dict[int, Dict[int, int]] = {}
        self.types: List[AlloType] = []
        self.type_ids: Dict[AlloType, int] = {}
        self.names: List[str] = []
        self.name_ids: Dict[str, int] = {}
        self.values: Dict[int, Any] = {}  # const id -> value (value representation)
        self._impl: Dict[Tuple, Callable] = {}
        self._folded: Dict[Tuple, int] = {}
        self.shapes: Dict[str, Tuple[int, ...]] = {}  # input name -> shape (for printing)
        self.reassociated = False  # did a float reassociation actually fire?
        self.canon_of: Dict[int, int] = {}  # raw node -> canonical node (see canon.py)
        self._blocks: Dict[Tuple, List[int]] = {}  # input_block's fresh blocks
        self._block_of: Dict[int, Tuple[int, int, int]] = {}  # name id -> (type, first, count)

    # ------------------------------------------------------------ basics
    def tid(self, t: AlloType) -> int:
        i = self.type_ids.get(t)
        if i is None:
            i = self.type_ids[t] = len(self.types)
            self.types.append(t)
        return i

    @property
    def nodes(self) -> NodeView:
        """Node ``n`` as its tuple: ``dag.nodes[n]`` (a view made on demand: one kept here
        would tie the DAG into a cycle that only the cyclic collector frees)."""
        return NodeView(self)

    def node(self, nid: int) -> Tuple:
        """Node ``nid`` as ``(opcode, type id, *children)`` (unpacked on first read)."""
        x = self.packed[nid]
        if x.__class__ is int:
            x = self.packed[nid] = unpack_key(x)
        return x

    def type_of(self, nid: int) -> AlloType:
        return self.types[self.node(nid)[1]]

    def is_const(self, nid: int) -> bool:
        return nid in self.values

    def value(self, nid: int) -> Any:
        """The concrete value of a constant node."""
        return self.values[nid]

    def table(self, prefix: int) -> Dict[int, int]:
        """The hash-consing table of op nodes with this :func:`key_prefix`."""
        table = self.tables.get(prefix)
        if table is None:
            table = self.tables[prefix] = {}
        return table

    def lookup(self, node: Tuple) -> Optional[int]:
        """The id of ``node`` if it was interned, else None. Example:
        ``d.lookup(d.nodes[n]) == n``."""
        key = node_key(node)
        if key.__class__ is int:
            n = len(node) - 2
            table = self.tables.get(key >> (ID_BITS * n))
            return None if table is None else table.get(key & ((1 << (ID_BITS * n)) - 1))
        return self.ids.get(key)

    def _intern(self, node: Tuple) -> int:
        key = node_key(node)
        if key.__class__ is int:
            n = len(node) - 2
            table, kids = self.table(key >> (ID_BITS * n)), key & ((1 << (ID_BITS * n)) - 1)
        else:
            table = kids = None
        nid = self.ids.get(key) if table is None else table.get(kids)
        if nid is None:
            nid = len(self.packed)
            if nid >= MAX_NODES:
                raise too_many_nodes()
            if table is None:
                self.ids[key] = nid
            else:
                table[kids] = nid
            self.packed.append(node)
        return nid

    def __len__(self) -> int:
        return len(self.packed)

    # ------------------------------------------------------------ leaves
    def const(self, value: Any, t: AlloType) -> int:
        """A constant; ``value`` is in the value representation (or a Python number)."""
        v = const_value(value, t) if not isinstance(t, Float) or not hasattr(value, "dtype") \
            else value
        payload = float_bits(v, t.kind) if isinstance(t, Float) else int(v)
        key = (CONST, self.tid(t), payload)
        nid = self.ids.get(key)
        if nid is None:
            nid = self._intern(key)
            self.values[nid] = float_from_bits(payload, t.kind) if isinstance(t, Float) else payload
        return nid

    def input(self, name: str, flat: int, t: AlloType) -> int:
        """The symbolic input cell ``name[flat]`` (``flat == -1``: a scalar)."""
        n = self.name_ids.get(name)
        if n is None:
            n = self.name_ids[name] = len(self.names)
            self.names.append(name)
        tt = self.tid(t)
        block = self._block_of.get(n)
        if block is not None and block[0] == tt and 0 <= flat < block[2]:
            return block[1] + flat  # a cell of a block interned by input_block
        return self._intern((INPUT, tt, n, flat))

    def find_input(self, name: str, flat: int, t: AlloType) -> Optional[int]:
        """The id of input cell ``name[flat]`` if it exists (never creates it).

        Example: ``d.find_input("A", 0, int8) is None`` on an empty DAG.
        """
        n = self.name_ids.get(name)
        if n is None:
            return None
        tt = self.tid(t)
        block = self._block_of.get(n)
        if block is not None and block[0] == tt and 0 <= flat < block[2]:
            return block[1] + flat
        return self.ids.get((INPUT, tt, n, flat))

    def input_nodes(self) -> List[int]:
        """The ids of every input leaf, without unpacking op nodes.

        Example: ``dag.input_nodes() == [x]`` after ``x = dag.input("x", -1, int8)``.
        """
        return [n for n, x in enumerate(self.packed) if x.__class__ is tuple and x[0] == INPUT]

    def input_block(self, name: str, count: int, t: AlloType) -> List[int]:
        """The input cells ``name[0]`` .. ``name[count - 1]`` at once (a fresh name is
        interned in bulk: the executor's input buffers, a summarized call's outputs).

        Example: ``d.input_block("A", 4, int8)[2] == d.input("A", 2, int8)``.
        """
        if name in self.name_ids:
            block = self._blocks.get((name, t, count))
            if block is not None:  # the second program's inputs: the same leaves
                return list(block)
            return [self.input(name, c, t) for c in range(count)]
        n = self.name_ids[name] = len(self.names)
        self.names.append(name)
        tt = self.tid(t)
        base = len(self.packed)
        if base + count > MAX_NODES:
            raise too_many_nodes()
        # the cells are numbered base .. base + count - 1: looked up by arithmetic
        # (input(), find_input()), not through the hash-consing dict (millions of keys)
        ids = list(range(base, base + count))
        self.packed.extend([(INPUT, tt, n, c) for c in range(count)])
        self._block_of[n] = (tt, base, count)
        self._blocks[(name, t, count)] = ids
        return list(ids)

    def input_of(self, nid: int) -> Tuple[str, int]:
        node = self.node(nid)
        return self.names[node[2]], node[3]

    # ------------------------------------------------------------ concrete meaning
    def impl(self, op: str, arg_types: Tuple[AlloType, ...], rt: AlloType) -> Callable:
        key = (op, arg_types, rt)
        fn = self._impl.get(key)
        if fn is None:
            fn = self._impl[key] = _specialize(op, arg_types, rt)
        return fn

    def _fold(self, op: str, t: AlloType, args: Sequence[int]) -> int:
        ats = tuple(self.type_of(a) for a in args)
        vals = [self.values[a] for a in args]
        fn = self.impl(op, ats, t)
        return self.const(fn(*vals), t)

    def _fold_chain(self, op: str, t: AlloType, consts: List[int]) -> int:
        acc = consts[0]
        fn = self.impl(op, (t, t), t)
        for c in consts[1:]:
            acc = self.const(fn(self.values[acc], self.values[c]), t)
        return acc

    # ------------------------------------------------------------ operations
    def op(self, op: str, t: AlloType, args: Sequence[int]) -> int:
        """The canonical node of ``op(args)`` with result type ``t``."""
        args = tuple(args)
        values = self.values
        if all(a in values for a in args):
            key = (op, t, args)  # memo: loop index arithmetic folds the same terms often
            hit = self._folded.get(key)
            if hit is None:
                if len(args) > 2 and REGISTRY[op].laws.nary:
                    hit = self._fold_chain(op, t, list(args))
                else:
                    hit = self._fold(op, t, args)
                self._folded[key] = hit
            return hit
        laws = REGISTRY[op].laws
        is_float = isinstance(t, Float)
        if _is_int(t):
            if op == "add":
                return self._linear(t, [(a, 1) for a in args])
            if op == "sub":
                return self._linear(t, [(args[0], 1), (args[1], -1)])
            if op == "neg":
                return self._linear(t, [(args[0], -1)])
            if laws.int_ac:
                return self._ac(op, t, args)
        elif isinstance(t, Fixed) and laws.fixed_ac:
            return self._ac(op, t, args)
        elif is_float and op in ("add", "mul", "sub") and self.fp == "reassoc":
            if op == "sub":
                args = (args[0], self.op("neg", t, (args[1],)))
                op = "add"
            return self._reassoc(op, t, args)
        if laws.involution:
            inner = self.node(args[0])
            if inner[0] == OPCODE[op] and inner[1] == self.tid(t):
                return inner[2]
        if op == "cast":
            return self._cast(t, args[0])
        if op == "select":
            c, a, b = args
            if a == b:
                return a
            if c in values:
                return a if values[c] != 0 else b
        if op in ("land", "lor") or (laws.commutative and len(args) == 2):
            if op in ("land", "lor"):
                return self._ac(op, t, args)
            args = tuple(sorted(args))
        return self._intern((OPCODE[op], self.tid(t), *args))

    # integer linear combinations: sum of coeff * (product of factors) + constant
    def _linear(self, t: AlloType, items: List[Tuple[int, int]]) -> int:
        add_code, mul_code, tt = OPCODE["add"], OPCODE["mul"], self.tid(t)
        terms: Dict[Tuple[int, ...], int] = {}
        coeff_consts: List[Tuple[int, int]] = []
        stack = list(items)
        while stack:
            nid, k = stack.pop()
            node = self.node(nid)
            if node[0] == CONST:
                coeff_consts.append((nid, k))
            elif node[0] == add_code and node[1] == tt:
                stack.extend((c, k) for c in node[2:])
            else:
                factors, coeff = self._split_coeff(nid, node, mul_code, tt)
                terms[factors] = terms.get(factors, 0) + k * coeff
        # the constant part: fold k * c with the registry's own add/mul
        mul_fn, add_fn = self.impl("mul", (t, t), t), self.impl("add", (t, t), t)
        total = None
        for nid, k in coeff_consts:
            v = mul_fn(self.values[nid], wrap_int(k, t.bits, t.signed))
            total = v if total is None else add_fn(total, v)
        children: List[int] = []
        for factors in sorted(terms):
            k = wrap_int(terms[factors], t.bits, t.signed)
            if k == 0:
                continue
            if k == 1 and len(factors) == 1:
                children.append(factors[0])
            else:
                kids = factors + ((self.const(k, t),) if k != 1 else ())
                children.append(self._intern((mul_code, tt, *kids)))
        if total is not None and total != 0:
            children.append(self.const(total, t))
        if not children:
            return self.const(0, t)
        if len(children) == 1:
            return children[0]
        return self._intern((add_code, tt, *children))

    def _split_coeff(self, nid: int, node: Tuple, mul_code: int, tt: int):
        """``mul(f1, .., fn, k)`` -> ((f1, .., fn), k); anything else -> ((nid,), 1)."""
        if node[0] == mul_code and node[1] == tt and node[-1] in self.values:
            rest = node[2:-1]
            return tuple(rest), self.values[node[-1]]
        return (nid,), 1

    def _ac(self, op: str, t: AlloType, args: Sequence[int]) -> int:
        code, tt, laws = OPCODE[op], self.tid(t), REGISTRY[op].laws
        flat: List[int] = []
        stack = list(args)
        while stack:
            a = stack.pop()
            node = self.node(a)
            if node[0] == code and node[1] == tt:
                stack.extend(node[2:])
            else:
                flat.append(a)
        consts = [a for a in flat if a in self.values]
        others = sorted(a for a in flat if a not in self.values)
        const_id = self._fold_chain(op, t, consts) if consts else None
        if const_id is not None:
            cv = self.values[const_id]
            if laws.absorbing is not None and cv == wrap_int(laws.absorbing, t.bits, t.signed):
                return const_id
            if laws.identity is not None and cv == wrap_int(laws.identity, t.bits, t.signed):
                const_id = None
        if laws.idempotent:
            others = sorted(set(others))
        elif laws.self_inverse:
            counts: Dict[int, int] = {}
            for a in others:
                counts[a] = counts.get(a, 0) + 1
            others = sorted(a for a, n in counts.items() if n % 2)
        children = others + ([const_id] if const_id is not None else [])
        if not children:
            return self.const(laws.identity if laws.identity is not None else 0, t)
        if len(children) == 1:
            return children[0]
        return self._intern((code, tt, *children))

    def _reassoc(self, op: str, t: AlloType, args: Sequence[int]) -> int:
        code, tt = OPCODE[op], self.tid(t)
        flat: List[int] = []
        stack = list(args)
        while stack:
            a = stack.pop()
            node = self.node(a)
            if node[0] == code and node[1] == tt:
                stack.extend(node[2:])
                self.reassociated = True
            else:
                flat.append(a)
        return self._intern((code, tt, *sorted(flat)))

    def _cast(self, t: AlloType, x: int) -> int:
        src = self.type_of(x)
        if src == t:
            return x
        inner = self.node(x)
        if inner[0] == OPCODE["cast"]:
            orig = inner[2]
            s0 = self.type_of(orig)
            if _lossless(s0, src):
                if s0 == t:
                    return orig  # widen, then narrow back: the identity
                if _is_int(s0) and _is_int(t):
                    return self._cast(t, orig)  # wrap(exact value) == direct cast
        return self._intern((OPCODE["cast"], self.tid(t), x))

    # ------------------------------------------------------------ evaluation and printing
    def evaluate(self, roots: Sequence[int], env: Dict[int, Any]) -> List[Any]:
        """Concrete values of ``roots`` given values for input nodes (registry meaning).

        Example: ``d.evaluate([n], {x: 3})``.
        """
        memo: Dict[int, Any] = dict(env)
        memo.update(self.values)
        nodes, types = self.node, self.types
        for root in roots:
            for nid in postorder((root,), lambda n: nodes(n)[2:] if nodes(n)[0] > INPUT else (), memo):
                node = nodes(nid)
                if node[0] == INPUT:
                    raise KeyError(f"no value for input {self.input_of(nid)}")
                op, t = OP_NAMES[node[0]], types[node[1]]
                kids = node[2:]
                if len(kids) > 2 and REGISTRY[op].laws.nary:
                    acc = memo[kids[0]]
                    for c in kids[1:]:
                        acc = self.impl(op, (t, types[nodes(c)[1]]), t)(acc, memo[c])
                    memo[nid] = acc
                else:
                    ats = tuple(types[nodes(c)[1]] for c in kids)
                    memo[nid] = self.impl(op, ats, t)(*(memo[c] for c in kids))
        return [memo[r] for r in roots]

    def pretty(self, nid: int, limit: int = 160) -> str:
        """A readable (shortened) rendering. Example: ``'add(A[0], mul(B[1], 2))'``."""
        out: List[str] = []
        budget = [limit]

        def emit(s: str) -> bool:
            out.append(s)
            budget[0] -= len(s)
            return budget[0] > 0

        def rec(n: int) -> bool:
            node = self.node(n)
            if node[0] == CONST:
                return emit(repr(_py(self.values[n])))
            if node[0] == INPUT:
                name, flat = self.input_of(n)
                if flat < 0:
                    return emit(name)
                shape = self.shapes.get(name)
                idx = _unravel(flat, shape) if shape else (flat,)
                return emit(f"{name}[{', '.join(map(str, idx))}]")
            name = OP_NAMES[node[0]]
            if name == "cast":
                name = f"{self.types[node[1]]!r}"
            if not emit(name + "("):
                return False
            for i, c in enumerate(node[2:]):
                if i and not emit(", "):
                    return False
                if not rec(c):
                    return False
            return emit(")")

        if not rec(nid):
            return "".join(out)[:limit] + " ..."
        return "".join(out)

    def input_leaves(self, roots: Iterable[int],
                     through: Optional[Callable[[int], Optional[Iterable[int]]]] = None
                     ) -> List[int]:
        """The input leaves ``roots`` depend on (each once, in depth-first order).

        ``through(leaf)`` may return further roots to follow from an input leaf (a
        summarized call's result leaf: its application's arguments); such a leaf is not
        listed. Example: ``dag.input_leaves([n])`` for ``n = a + b`` lists ``a`` and ``b``.
        """
        seen: Set[int] = set()
        stack, leaves = list(roots), []
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            node = self.node(n)
            if node[0] == INPUT:
                more = through(n) if through is not None else None
                if more is None:
                    leaves.append(n)
                else:
                    stack.extend(more)
            elif node[0] > INPUT:
                stack.extend(node[2:])
        return leaves

    def size(self, nid: int) -> int:
        """Number of distinct nodes reachable from ``nid``."""
        seen, stack = set(), [nid]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            if self.node(n)[0] > INPUT:
                stack.extend(self.node(n)[2:])
        return len(seen)


def _unravel(flat: int, shape: Tuple[int, ...]) -> Tuple[int, ...]:
    idx = []
    for d in reversed(shape):
        idx.append(flat % d)
        flat //= d
    return tuple(reversed(idx))


def _py(v: Any) -> Any:
    try:
        return v.item()
    except AttributeError:
        return v


__all__ = ["Dag", "CONST", "INPUT", "OP_NAMES", "OPCODE", "ID_BITS", "MAX_NODES", "key_prefix",
           "node_key", "unpack_key", "too_many_nodes", "NodeView"]
