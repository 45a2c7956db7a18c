"""Strict JSON for the API: what the database cannot store is refused at the door.

Python's json module accepts NaN and Infinity, which are not JSON; PostgreSQL
cannot store a NUL character in a text column (it raises, which would be a 500).
Both are refused here with a 400 the client can read, for bodies and query strings.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from marketplace.core.errors import ValidationFailed


class MalformedBody(ValueError):
    """The body is not a JSON document the API accepts; the message says why."""


def _refuse_constant(name: str) -> Any:
    raise MalformedBody(f"{name} is not a valid JSON value.")


def _check_text(value: Any, *, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationFailed(f"{where or 'The request'} contains a NUL character, which is not allowed.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, where=where)
            _check_text(item, where=f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for item in value:
            _check_text(item, where=where)


class StrictJSONParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedBody("The request body must be UTF-8 encoded JSON.") from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as error:
            raise MalformedBody(f"The request body is not valid JSON ({error.msg} at position {error.pos}).") from None
        except RecursionError:
            raise MalformedBody("The request body is nested too deeply.") from None
        if not isinstance(data, dict):
            raise MalformedBody('The request body must be a JSON object, e.g. {"field": "value"}.')
        _check_text(data, where="")
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict:
        result = super().parse_querydict(data, list_fields, request)
        _check_text(result, where="")
        return result
