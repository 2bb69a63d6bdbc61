"""Tokenizer and Pratt parser for the JUEL-style expressions typed in Camunda Modeler (`${...}`).

The parser builds a tree of our own node classes, which `engine.expressions` interprets. No user text
ever reaches Python's eval/exec/compile, so a diagram cannot run Python by construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, TypeAlias

MAX_LENGTH: Final = 2000
MAX_DEPTH: Final = 50
_SHOWN: Final = 120  # longer expressions are cut in messages, which end up in logs and pages
_SYNTAX: Final = "Expresión inválida"


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated; the message says what, where and how to fix it."""

    def __init__(
        self, problem: str, expression: str, position: int | None = None, stage: str = _SYNTAX
    ) -> None:
        self.problem, self.expression, self.stage = problem, expression, stage
        self.position = position  # 1-based column in `expression`; None when no single place is at fault
        shown = expression if len(expression) <= _SHOWN else expression[:_SHOWN] + "…"
        where = "" if position is None else f" en la columna {position}"
        super().__init__(f'{stage}{where} de "{shown}": {problem}')

    def __reduce__(self) -> tuple[type[ExpressionError], tuple[str, str, int | None, str]]:
        # Pickle rebuilds exceptions from their arguments (logging queues, process pools).
        return type(self), (self.problem, self.expression, self.position, self.stage)


def _error_at(text: str, offset: int, problem: str) -> ExpressionError:
    return ExpressionError(problem, text, offset + 1)


# ---------------------------------------------------------------------------------------------- tree


class Node:
    """Base of the expression tree; `pos` is the node's 0-based offset in the whole text."""

    __slots__ = ("children", "height", "pos")

    def __init__(self, pos: int, *children: Node) -> None:
        self.pos = pos
        self.children = children
        # The interpreter recurses once per level: bounding the height bounds its stack.
        self.height: int = 1 + max((child.height for child in children), default=0)


class Constant(Node):
    __slots__ = ("value",)

    def __init__(self, value: bool | int | float | str | None, pos: int) -> None:
        super().__init__(pos)
        self.value = value


class Variable(Node):
    __slots__ = ("name",)

    def __init__(self, name: str, pos: int) -> None:
        super().__init__(pos)
        self.name = name


class Member(Node):
    """`base.key` or `base[key]`: a dict key or a list item, never a Python attribute."""

    __slots__ = ("base", "key")

    def __init__(self, base: Node, key: Node, pos: int) -> None:
        super().__init__(pos, base, key)
        self.base, self.key = base, key


class Unary(Node):
    __slots__ = ("op", "operand")

    def __init__(self, op: str, operand: Node, pos: int) -> None:
        super().__init__(pos, operand)
        self.op, self.operand = op, operand


class Binary(Node):
    __slots__ = ("left", "op", "right")

    def __init__(self, op: str, left: Node, right: Node, pos: int) -> None:
        super().__init__(pos, left, right)
        self.op, self.left, self.right = op, left, right


class Conditional(Node):
    __slots__ = ("otherwise", "test", "then")

    def __init__(self, test: Node, then: Node, otherwise: Node, pos: int) -> None:
        super().__init__(pos, test, then, otherwise)
        self.test, self.then, self.otherwise = test, then, otherwise


class Call(Node):
    __slots__ = ("args", "name")

    def __init__(self, name: str, args: tuple[Node, ...], pos: int) -> None:
        super().__init__(pos, *args)
        self.name, self.args = name, args


Part: TypeAlias = str | Node  # a piece of literal text or one parsed `${...}`


def walk(node: Node) -> Iterator[Node]:
    """`node` and all its descendants."""
    yield node
    for child in node.children:
        yield from walk(child)


# ----------------------------------------------------------------------------------------- tokens

_TOKEN: Final = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z_][A-Za-z0-9_]*(?=\s*\())?)
      | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%!<>?:.,()\[\]}])""",
    re.VERBOSE | re.DOTALL,
)
# `fn:name` is one token only when glued and called, so the ternary `a ? b : c` stays unambiguous.
# Digits are ASCII (Python's \d also takes "٣"); spaces are Unicode, so a pasted no-break space is fine.
_ESCAPE: Final = re.compile(r"\\(.)", re.DOTALL)
_WORD_OPERATORS: Final = {
    "and": "&&", "or": "||", "not": "!", "eq": "==", "ne": "!=", "lt": "<", "gt": ">",
    "le": "<=", "ge": ">=", "div": "/", "mod": "%", "empty": "empty",
}  # fmt: skip
_CONSTANTS: Final[dict[str, bool | None]] = {"true": True, "false": False, "null": None}
_PYTHON: Final = "es sintaxis de Python, que aquí no existe"
_TERNARY_HINT: Final = 'para elegir use "condición ? valor_si : valor_no"'
# Words refused as names, with the hint that helps someone used to Python or to SpiffWorkflow's defaults.
_REFUSED_WORDS: Final = {
    "True": 'escriba "true"', "False": 'escriba "false"', "None": 'escriba "null"',
    "if": _TERNARY_HINT, "else": _TERNARY_HINT,
    "is": 'compare con "==" o pregunte con "empty"', "in": 'compare cada valor con "=="',
    "instanceof": "no se admite", "lambda": _PYTHON, "for": _PYTHON, "import": _PYTHON, "def": _PYTHON,
    "class": _PYTHON, "while": _PYTHON, "from": _PYTHON, "return": _PYTHON, "yield": _PYTHON,
}  # fmt: skip
_CHARACTER_HINTS: Final = {
    "=": 'para comparar use "=="', "&": 'use "&&"', "|": 'use "||"',
    "{": "no hay llaves dentro de una expresión", "#": "las expresiones diferidas #{...} no se admiten",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "number", "string", "name", "op", or "end" for the closing brace
    text: str
    pos: int


def _tokenize(text: str, start: int) -> tuple[list[_Token], int]:
    """Tokens of the body that begins at `start` (just after "${"), and the offset after its "}"."""
    tokens: list[_Token] = []
    pos = start
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _error_at(text, pos, _bad_character(text[pos]))
        kind, value = match.lastgroup or "", match.group()
        if kind == "op" and value == "}":
            return [*tokens, _Token("end", value, pos)], match.end()
        if kind == "name" and value in _WORD_OPERATORS:
            kind, value = "op", _WORD_OPERATORS[value]
        if kind != "space":
            tokens.append(_Token(kind, value, pos))
        pos = match.end()
    raise _error_at(text, start - 2, 'falta la "}" que cierra este "${"')


def _bad_character(char: str) -> str:
    if char in "'\"":
        return f"falta la comilla {char} que cierra el texto"
    if char in _CHARACTER_HINTS:
        return f'carácter no permitido "{char}": {_CHARACTER_HINTS[char]}'
    if char.isalpha():
        return f'carácter no permitido "{char}": los nombres usan letras sin tilde ni ñ, dígitos y "_"'
    return f'carácter no permitido "{char}"'


def _unquote(token: str) -> str:
    # JUEL escapes only quotes and the backslash; any other backslash is kept as typed.
    return _ESCAPE.sub(lambda m: m.group(1) if m.group(1) in "'\"\\" else m.group(0), token[1:-1])


def _number(token: str) -> int | float:
    return int(token) if token.isdigit() else float(token)


# ----------------------------------------------------------------------------------------- parser

_TERNARY: Final = 1
_INFIX: Final = {
    "||": 2, "&&": 3, "==": 4, "!=": 4, "<": 5, ">": 5, "<=": 5, ">=": 5,
    "+": 6, "-": 6, "*": 7, "/": 7, "%": 7,
}  # fmt: skip
_UNARY: Final = 8
_POSTFIX: Final = 9  # ".", "[" and "(" after a value (refused: no method calls)


class _Parser:
    """Pratt parser over the tokens of one `${...}`; JUEL precedence, tightest last in `_INFIX`."""

    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self._text, self._tokens = text, tokens
        self._index = 0
        self._depth = 0  # recursion guard: "!!!...!a" nests before any node exists to measure

    def parse(self) -> Node:
        if self._peek().kind == "end":
            raise self._error(self._peek(), "la expresión está vacía; escriba algo entre ${ y }")
        node = self._expression(0)
        if self._peek().kind != "end":
            raise self._unexpected(self._peek(), 'un operador o "}"')
        return node

    def _expression(self, min_power: int) -> Node:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise self._error(self._peek(), f"anida más de {MAX_DEPTH} niveles; simplifíquela")
        left = self._limited(self._prefix())
        while (power := self._power(self._peek())) > min_power:
            left = self._limited(self._infix(left, self._advance(), power))
        self._depth -= 1
        return left

    def _prefix(self) -> Node:
        token = self._advance()
        if token.kind == "number":
            return Constant(_number(token.text), token.pos)
        if token.kind == "string":
            return Constant(_unquote(token.text), token.pos)
        if token.kind == "name":
            return self._name(token)
        if token.kind == "op" and token.text in ("-", "!", "empty"):
            return Unary(token.text, self._expression(_UNARY), token.pos)
        if token.kind == "op" and token.text == "(":
            node = self._expression(0)
            self._expect(")")
            return node
        raise self._unexpected(token, "un valor")

    def _name(self, token: _Token) -> Node:
        if token.text in _CONSTANTS:
            return Constant(_CONSTANTS[token.text], token.pos)
        self._check_name(token)
        if self._accept("("):
            return Call(token.text, self._arguments(), token.pos)
        return Variable(token.text, token.pos)

    def _arguments(self) -> tuple[Node, ...]:
        if self._accept(")"):
            return ()
        args = [self._expression(0)]
        while self._accept(","):
            args.append(self._expression(0))
        self._expect(")")
        return tuple(args)

    def _infix(self, left: Node, token: _Token, power: int) -> Node:
        if token.text == "?":
            then = self._expression(0)
            self._expect(":")
            return Conditional(left, then, self._expression(_TERNARY - 1), token.pos)  # right-associative
        if token.text == ".":
            return Member(left, self._property(), token.pos)
        if token.text == "[":
            key = self._expression(0)
            self._expect("]")
            if isinstance(key, Constant) and isinstance(key.value, str) and key.value.startswith("_"):
                raise self._error(key, 'las claves que empiezan con "_" no se admiten')
            return Member(left, key, token.pos)
        if token.text == "(":
            raise self._error(token, "solo se llaman funciones por su nombre, como plazo('x'); no métodos")
        return Binary(token.text, left, self._expression(power), token.pos)

    def _property(self) -> Constant:
        token = self._advance()
        if token.kind != "name" or token.text in _CONSTANTS:
            raise self._unexpected(token, 'un nombre de propiedad después de "."')
        self._check_name(token)
        return Constant(token.text, token.pos)

    def _check_name(self, token: _Token) -> None:
        # "_" names lead to Python internals (__class__, __globals__...): refused even where harmless.
        if any(part.startswith("_") for part in token.text.split(":")):
            raise self._error(token, f'"{token.text}": los nombres que empiezan con "_" no se admiten')
        if token.text in _REFUSED_WORDS:
            raise self._error(token, f'"{token.text}" no se admite: {_REFUSED_WORDS[token.text]}')

    @staticmethod
    def _power(token: _Token) -> int:
        if token.kind != "op":
            return 0
        if token.text in ".[(":
            return _POSTFIX
        return _TERNARY if token.text == "?" else _INFIX.get(token.text, 0)

    def _limited(self, node: Node) -> Node:
        # Left-deep chains (a+a+a..., a.b.c...) are built by a loop, so the recursion guard misses them.
        if node.height > MAX_DEPTH:
            raise self._error(node, f"anida más de {MAX_DEPTH} niveles; simplifíquela")
        return node

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _advance(self) -> _Token:
        token = self._tokens[self._index]
        if token.kind != "end":  # the end token is never consumed, so peeking stays in range
            self._index += 1
        return token

    def _accept(self, op: str) -> bool:
        if self._peek().kind == "op" and self._peek().text == op:
            self._index += 1
            return True
        return False

    def _expect(self, op: str) -> None:
        if not self._accept(op):
            raise self._unexpected(self._peek(), f'"{op}"')

    def _unexpected(self, token: _Token, expected: str) -> ExpressionError:
        hint = _REFUSED_WORDS.get(token.text)
        suffix = f"; {hint}" if hint else ""
        return self._error(token, f'se esperaba {expected}, no "{token.text}"{suffix}')

    def _error(self, where: _Token | Node, problem: str) -> ExpressionError:
        return _error_at(self._text, where.pos, problem)


def parse_text(text: str) -> tuple[Part, ...]:
    """Split `text` into literal pieces and parsed `${...}` trees; raises ExpressionError."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"tiene {len(text)} caracteres y el máximo es {MAX_LENGTH}; reparta la lógica en variables", text
        )
    parts: list[Part] = []
    pos = 0
    while (start := text.find("${", pos)) != -1:
        if start > pos:
            parts.append(text[pos:start])
        tokens, pos = _tokenize(text, start + 2)
        parts.append(_Parser(text, tokens).parse())
    if pos < len(text):
        parts.append(text[pos:])
    return tuple(parts)
