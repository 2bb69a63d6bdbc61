"""Camunda Forms (form-js `.form` JSON): strict loading at deploy time and server-side validation.

The implementation is split by concern; import from here.
  forms_load      load_form: strict JSON, known component types, keys, regexes, options
  forms_rules     the `validate` block and `values`/`valuesKey` of a component
  forms_feel      the FEEL subset of `conditional.hide`, evaluated without eval
  forms_values    per-type coercion and rule checks of one value
  forms_validate  validate_submission and default_values
"""

from __future__ import annotations

from engine.forms.feel import Condition, FeelError, parse_condition
from engine.forms.load import load_form
from engine.forms.model import KNOWN_TYPES, FormDefinitionError, FormField, FormSchema
from engine.forms.validate import ValidationResult, default_values, validate_submission

__all__ = [
    "KNOWN_TYPES",
    "Condition",
    "FeelError",
    "FormDefinitionError",
    "FormField",
    "FormSchema",
    "ValidationResult",
    "default_values",
    "load_form",
    "parse_condition",
    "validate_submission",
]
