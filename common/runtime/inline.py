"""Expression functions inlined into operator loops.

PyFlink jobs are full of one-expression lambdas: ``key_by(lambda t: t[0])``,
``map(lambda w: (w, 1))``, ``reduce(lambda a, b: (a[0], a[1] + b[1]))``. A
Python call costs more than the expression itself, so operators whose loop is
generated (see ``keyed.ReduceOperator``, ``basic.MapOperator``) splice the
expression into the loop instead of calling the function.

:func:`inline_expression` recovers the expression from the function's
bytecode by evaluating it symbolically. It accepts only functions that are a
single expression over their positional parameters and constants -- no
globals, closures, defaults, keyword arguments or control flow -- built from
subscripts, attribute reads, method calls on those, arithmetic, comparisons,
unary operators and tuple/list displays. The generated source performs the
same operations in the same order as the function would, so results,
exceptions and side effects (of user ``__getitem__``/``__add__`` methods, say)
are the same; only the Python frame differs. Anything else (an unknown
opcode, another Python version's bytecode) returns ``None`` and the operator
calls the function as usual.
"""

from __future__ import annotations

import dis
import math
import types
from dataclasses import dataclass
from typing import Any

__all__ = ["InlineExpression", "compile_loop", "element_fact", "exec_loop", "inline_expression",
           "join_facts", "map_loop", "result_fact"]

#: BINARY_OP's argument -> operator (Python 3.11+; older versions have no BINARY_OP)
_BINARY = {i: symbol for i, (_, symbol) in enumerate(getattr(dis, "_nb_ops", ()))}
_UNARY = {"UNARY_NEGATIVE": "-", "UNARY_POSITIVE": "+", "UNARY_INVERT": "~",
          "UNARY_NOT": "not "}
_COMPARE = {"<", "<=", "==", "!=", ">", ">="}
_IGNORED = {"RESUME", "NOP", "CACHE", "PRECALL"}
#: *args, **kwargs, generator, coroutine, iterable coroutine, async generator
_SPECIAL = 0x04 | 0x08 | 0x20 | 0x80 | 0x100 | 0x200


@dataclass(frozen=True)
class InlineExpression:
    """A function's body as an expression tree over its parameters.

    Nodes are tuples: ``("arg", i)``, ``("const", value)``, ``("subscr", obj,
    index)``, ``("binop", symbol, left, right)``, ``("compare", symbol, left,
    right)``, ``("unary", symbol, operand)``, ``("tuple", items)``, ``("list",
    items)``, ``("attr", obj, name)`` and ``("call", method, args)``.
    """

    tree: Any
    filename: str
    lineno: int

    def render(self, *args: str, prefix: str = "_k") -> str:
        """Python source of the expression, parameter ``i`` being the name ``args[i]``.

        Literal constants (numbers, strings, ``None``, tuples of them) are
        written into the source; any other constant is referred to by a name
        ``<prefix>0``, ``<prefix>1``... that :meth:`bind` defines.
        """
        return _render(self.tree, args, prefix, [0])

    def bind(self, namespace: dict[str, Any], prefix: str = "_k") -> None:
        """Define the names of the non-literal constants in ``namespace``."""
        for i, value in enumerate(_named_constants(self.tree)):
            namespace[f"{prefix}{i}"] = value


def inline_expression(func: Any, arity: int) -> InlineExpression | None:
    """The body of ``func`` as an :class:`InlineExpression`, if it is a simple one."""
    if type(func) is not types.FunctionType or func.__closure__ or func.__defaults__ \
            or func.__kwdefaults__:
        return None
    code = func.__code__
    if (code.co_argcount != arity or code.co_kwonlyargcount or code.co_flags & _SPECIAL
            or code.co_cellvars or code.co_freevars):
        return None
    try:
        tree = _evaluate(code, arity)
    except _NotInlinable:
        return None
    return InlineExpression(tree, code.co_filename, code.co_firstlineno)


def compile_loop(func: Any, name: str, template: str) -> Any:
    """Compile ``template`` -- the source of ``def loop(values, f)`` -- with
    ``{call}`` replaced by the per-record expression: ``func``'s body on ``v``
    if it inlines, else ``f(v)``. Returns ``loop``.
    """
    expr = inline_expression(func, 1)
    namespace: dict[str, Any] = {}
    call = "f(v)"
    if expr is not None:
        expr.bind(namespace)
        call = expr.render("v")
    return exec_loop(template.replace("{call}", call), name, namespace, expr)


def exec_loop(source: str, name: str, namespace: dict[str, Any],
              origin: InlineExpression | None) -> Any:
    """Run ``source`` (which defines ``loop``) in ``namespace``; return ``loop``.

    The code is named ``<flink-py NAME loop from FILE:LINE>`` after the
    function ``origin`` it inlines, so a failure inside it can be shown as the
    user's line (see ``taskmanager.task``).
    """
    where = f" from {origin.filename}:{origin.lineno}" if origin is not None else ""
    exec(compile(source, f"<flink-py {name} loop{where}>", "exec"), namespace)  # noqa: S102
    return namespace["loop"]


_MAP_TEMPLATE = "def loop(values, f):\n    return [{call} for v in values]\n"


def map_loop(func: Any, name: str = "map") -> Any:
    """``loop(values, f)`` returning ``[func(v) for v in values]``, inlined if possible."""
    return compile_loop(func, name, _MAP_TEMPLATE)


class _NotInlinable(Exception):
    pass


def _evaluate(code: types.CodeType, arity: int) -> Any:
    """Symbolically run ``code``; return the tree of its result."""
    stack: list[Any] = []

    def pop(n: int) -> list[Any]:
        if len(stack) < n:
            raise _NotInlinable
        items = stack[len(stack) - n:]
        del stack[len(stack) - n:]
        return items

    instructions = list(dis.get_instructions(code))
    for n, ins in enumerate(instructions):
        op = ins.opname
        if op in _IGNORED:
            continue
        if op == "LOAD_FAST":
            if ins.arg is None or ins.arg >= arity:
                raise _NotInlinable  # a local variable: more than an expression
            stack.append(("arg", ins.arg))
        elif op == "LOAD_CONST":
            stack.append(("const", ins.argval))
        elif op == "BINARY_SUBSCR":
            obj, index = pop(2)
            stack.append(("subscr", obj, index))
        elif op == "BINARY_OP":
            symbol = _BINARY.get(ins.arg)  # type: ignore[arg-type]
            if symbol is None or symbol.endswith("="):
                raise _NotInlinable  # in-place operators
            left, right = pop(2)
            stack.append(("binop", symbol, left, right))
        elif op == "COMPARE_OP":
            if ins.argval not in _COMPARE:
                raise _NotInlinable
            left, right = pop(2)
            stack.append(("compare", ins.argval, left, right))
        elif op in _UNARY:
            (operand,) = pop(1)
            stack.append(("unary", _UNARY[op], operand))
        elif op in ("BUILD_TUPLE", "BUILD_LIST"):
            stack.append(("tuple" if op == "BUILD_TUPLE" else "list", tuple(pop(ins.arg or 0))))
        elif op == "LOAD_ATTR":
            (obj,) = pop(1)
            stack.append(("attr", obj, _identifier(ins.argval)))
        elif op == "LOAD_METHOD":
            (obj,) = pop(1)
            stack.append(("attr", obj, _identifier(ins.argval)))
            stack.append(_METHOD)  # the slot CALL consumes with the method
        elif op == "CALL":
            args = pop(ins.arg or 0)
            method, marker = pop(2)
            if marker is not _METHOD:
                raise _NotInlinable  # only method calls on the parameters
            stack.append(("call", method, tuple(args)))
        elif op == "RETURN_VALUE":
            if n != len(instructions) - 1 or len(stack) != 1 or stack[0] is _METHOD:
                raise _NotInlinable
            return stack[0]
        else:
            raise _NotInlinable
    raise _NotInlinable


_METHOD = ("method",)


def _render(node: Any, args: tuple[str, ...], prefix: str, named: list[int]) -> str:
    kind = node[0]

    def sub(child: Any) -> str:
        return _render(child, args, prefix, named)

    if kind == "arg":
        return args[node[1]]
    if kind == "const":
        if _literal(node[1]):
            return f"({node[1]!r})"
        named[0] += 1
        return f"{prefix}{named[0] - 1}"
    if kind == "subscr":
        return f"({sub(node[1])})[{sub(node[2])}]"
    if kind in ("binop", "compare"):
        return f"({sub(node[2])}) {node[1]} ({sub(node[3])})"
    if kind == "unary":
        return f"{node[1]}({sub(node[2])})"
    if kind == "tuple":
        items = [sub(item) for item in node[1]]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if kind == "list":
        return f"[{', '.join(sub(item) for item in node[1])}]"
    if kind == "attr":
        return f"({sub(node[1])}).{node[2]}"
    if kind == "call":
        return f"{sub(node[1])}({', '.join(sub(a) for a in node[2])})"
    raise AssertionError(kind)


def _named_constants(node: Any) -> list[Any]:
    """The non-literal constants of ``node``, in :func:`_render`'s order."""
    kind = node[0]
    if kind == "const":
        return [] if _literal(node[1]) else [node[1]]
    children: list[Any] = []
    if kind in ("subscr", "attr"):
        children = [node[1], node[2]] if kind == "subscr" else [node[1]]
    elif kind in ("binop", "compare"):
        children = [node[2], node[3]]
    elif kind == "unary":
        children = [node[2]]
    elif kind in ("tuple", "list"):
        children = list(node[1])
    elif kind == "call":
        children = [node[1], *node[2]]
    return [c for child in children for c in _named_constants(child)]


def _literal(value: Any) -> bool:
    """Whether ``repr(value)`` reads back as an equal value of the same type."""
    if value is None or type(value) in (bool, int, str, bytes):
        return True
    if type(value) is float:
        return math.isfinite(value)  # nan and inf have no literal
    if type(value) is tuple:
        return all(_literal(v) for v in value)
    return False


def _identifier(name: Any) -> str:
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("__"):
        raise _NotInlinable  # dunder names would be mangled inside the generated code
    return name


# -- what an expression's result is known to be ---------------------------------
#
# A fact is one of: ``("str",)`` a str, maybe of a subclass (what the str check
# accepts); ``("xstr",)`` an exact str; ``("int", lo, hi)`` an exact int, with
# bounds when known (else None); ``("float",)`` and ``("bool",)`` exact floats
# and bools; ``("tuple", (fact, ...))`` an exact tuple of that arity;
# ``("list", fact)`` an exact list of such elements; or None: nothing is known.
# Only exact strs have known methods: a subclass may override them.

_ARITHMETIC = {"+", "-", "*"}
#: Methods of an exact str and what they return (or they raise).
_STR_METHODS = {
    **dict.fromkeys(("split", "rsplit", "splitlines"), ("list", ("xstr",))),
    **dict.fromkeys(("strip", "lstrip", "rstrip", "lower", "upper", "casefold", "title",
                     "capitalize", "swapcase", "replace"), ("xstr",)),
}


def result_fact(expression: InlineExpression, arg_facts: tuple[Any, ...]) -> Any:
    """What the expression's value certainly is, given facts about its arguments."""
    return _fact(expression.tree, arg_facts)


def _fact(node: Any, args: tuple[Any, ...]) -> Any:
    kind = node[0]
    if kind == "arg":
        return args[node[1]]
    if kind == "const":
        return _const_fact(node[1])
    if kind == "tuple":
        return ("tuple", tuple(_fact(item, args) for item in node[1]))
    if kind == "list":
        items = [_fact(item, args) for item in node[1]]
        return ("list", _join_all(items)) if items else None
    if kind == "subscr":
        obj, index = _fact(node[1], args), node[2]
        if obj is None or index[0] != "const" or type(index[1]) is not int:
            return None
        if obj[0] == "tuple" and -len(obj[1]) <= index[1] < len(obj[1]):
            return obj[1][index[1]]
        return obj[1] if obj[0] == "list" else None  # an element, or IndexError
    if kind == "call":
        method = node[1]
        if method[0] == "attr" and _fact(method[1], args) == ("xstr",):
            return _STR_METHODS.get(method[2])
        return None
    if kind == "binop":
        left, right = _fact(node[2], args), _fact(node[3], args)
        if left is None or right is None:
            return None
        kinds = {left[0], right[0]}
        if kinds == {"int"} and node[1] in _ARITHMETIC | {"//", "%"}:
            return ("int", None, None)  # exact ints, any size
        if kinds <= {"int", "float"} and "float" in kinds and node[1] in _ARITHMETIC | {"/"}:
            return ("float",)
        if kinds == {"xstr"} and node[1] == "+":
            return ("xstr",)
        return None
    return None


def join_facts(a: Any, b: Any) -> Any:
    """What is known of a value that is either ``a`` or ``b``."""
    if a is None or b is None:
        return None
    if a == b:
        return a
    if a[0] == b[0] == "int":
        lo = None if a[1] is None or b[1] is None else min(a[1], b[1])
        hi = None if a[2] is None or b[2] is None else max(a[2], b[2])
        return ("int", lo, hi)
    if a[0] == b[0] == "tuple" and len(a[1]) == len(b[1]):
        return ("tuple", tuple(join_facts(x, y) for x, y in zip(a[1], b[1])))
    if a[0] == b[0] == "list":
        return ("list", join_facts(a[1], b[1]))
    if {a[0], b[0]} == {"str", "xstr"}:
        return ("str",)
    return None


def element_fact(fact: Any) -> Any:
    """What every element of a value of ``fact`` is known to be (for flat_map)."""
    if fact is None:
        return None
    if fact[0] == "list":
        return fact[1]
    if fact[0] == "tuple":
        return _join_all(list(fact[1])) if fact[1] else None
    return None


def _join_all(facts: list[Any]) -> Any:
    known = facts[0]
    for f in facts[1:]:
        known = join_facts(known, f)
    return known


def _const_fact(value: Any) -> Any:
    t = type(value)
    if t is str:
        return ("xstr",)
    if t is int:
        return ("int", value, value)
    if t is float:
        return ("float",)
    if t is bool:
        return ("bool",)
    if t is tuple:
        return ("tuple", tuple(_const_fact(v) for v in value))
    return None
