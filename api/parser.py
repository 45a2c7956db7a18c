"""Strict JSON for the API: what the database cannot store is refused at the door.

Python's json module accepts NaN and Infinity, which are not JSON: they are refused
with a 400 ``malformed_json``. PostgreSQL cannot store a NUL character in a text
column (it raises, which would be a 500): the OpenAPI document forbids it in every
string the API reads (a ``pattern``, api.contract), and a NUL in a body, a query
string or a form field is refused like any other input the schema forbids, with a
422 ``invalid_input`` naming the field.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.errors import ValidationError
from ninja.parser import Parser


class MalformedBody(ValueError):
    """The body is not a JSON document the API accepts; the message says why."""


def _refuse_constant(name: str) -> Any:
    raise MalformedBody(f"{name} is not a valid JSON value.")


NUL_MESSAGE = "must not contain a NUL character"


def _check_text(value: Any, *, where: tuple) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationError([{"loc": where, "msg": NUL_MESSAGE, "type": "string_nul_character"}])
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, where=where)
            _check_text(item, where=(*where, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, where=(*where, index))


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
        _check_text(data, where=("body",))
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict:
        result = super().parse_querydict(data, list_fields, request)
        _check_text(result, where=("query",))
        return result
