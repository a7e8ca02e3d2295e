"""A small typed model of the SageMaker pipeline definition JSON (schema version 2020-12-01).

Step arguments mirror the service APIs they call (CreateProcessingJob, CreateTrainingJob,
CreateModelPackage) without the job name, which the pipeline chooses per execution. Values that
are only known at run time are expressions: `{"Get": ...}` on a parameter, a step property or
an execution variable, `{"Std:Join": ...}` and `{"Std:JsonGet": ...}`. `PipelineDefinition.render`
checks that every reference points at a declared parameter, step or property file before it
returns the document, so a typo fails at synth and not at the first run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = "2020-12-01"

Json = Any  # a JSON value that may contain expressions

_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,64}$")
_STEP_REFERENCE = re.compile(r"^Steps\.([A-Za-z0-9\-_]+)(\.|$)")
_PARAMETER_REFERENCE = re.compile(r"^Parameters\.([A-Za-z0-9\-_]+)$")
_EXECUTION_VARIABLES = frozenset(
    {
        "Execution.PipelineExecutionId",
        "Execution.PipelineExecutionArn",
        "Execution.PipelineName",
        "Execution.PipelineArn",
        "Execution.StartDateTime",
        "Execution.CurrentDateTime",
    }
)


class DefinitionError(ValueError):
    """The pipeline definition is inconsistent; the message names the step or reference."""


def get(path: str) -> dict[str, str]:
    """A reference resolved by the pipeline at run time (`{"Get": path}`)."""
    return {"Get": path}


def join(values: Sequence[Json], on: str = "") -> dict[str, Any]:
    """`Std:Join`: concatenate strings and expressions at run time."""
    return {"Std:Join": {"On": on, "Values": list(values)}}


def execution_variable(name: str) -> dict[str, str]:
    path = f"Execution.{name}"
    if path not in _EXECUTION_VARIABLES:
        raise DefinitionError(f"{path} is not a pipeline execution variable")
    return get(path)


EXECUTION_ID = execution_variable("PipelineExecutionId")
EXECUTION_ARN = execution_variable("PipelineExecutionArn")


@dataclass(frozen=True)
class Parameter:
    """A pipeline parameter with a default; a run may override it in StartPipelineExecution."""

    name: str
    type: Literal["String", "Integer", "Float", "Boolean"]
    default: str | int | float | bool

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise DefinitionError(f"parameter name {self.name!r} must match {_NAME.pattern}")
        expected: dict[str, type | tuple[type, ...]] = {
            "String": str,
            "Integer": int,
            "Float": (int, float),
            "Boolean": bool,
        }
        valid = isinstance(self.default, expected[self.type])
        if self.type in ("Integer", "Float") and isinstance(self.default, bool):
            valid = False
        if not valid:
            raise DefinitionError(
                f"parameter {self.name}: default {self.default!r} is not a {self.type}"
            )

    @property
    def ref(self) -> dict[str, str]:
        return get(f"Parameters.{self.name}")

    def as_string(self) -> dict[str, Any]:
        """The value as a string (job arguments such as HyperParameters accept only strings)."""
        return join([self.ref])

    def render(self) -> dict[str, Any]:
        default = float(self.default) if self.type == "Float" else self.default
        return {"Name": self.name, "Type": self.type, "DefaultValue": default}


def parameter_string(name: str, default: str) -> Parameter:
    return Parameter(name, "String", default)


def parameter_integer(name: str, default: int) -> Parameter:
    return Parameter(name, "Integer", default)


def parameter_float(name: str, default: float) -> Parameter:
    return Parameter(name, "Float", default)


@dataclass(frozen=True)
class PropertyFile:
    """A JSON file a processing step writes to one of its outputs, readable with JsonGet."""

    name: str
    output_name: str
    path: str

    def render(self) -> dict[str, str]:
        return {
            "PropertyFileName": self.name,
            "OutputName": self.output_name,
            "FilePath": self.path,
        }


@dataclass(frozen=True)
class Step:
    """One step: its name, type and the arguments of the API it calls."""

    name: str
    type: str
    arguments: Mapping[str, Json]
    depends_on: tuple[str, ...] = ()
    property_files: tuple[PropertyFile, ...] = ()

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise DefinitionError(f"step name {self.name!r} must match {_NAME.pattern}")

    def property(self, path: str) -> dict[str, str]:
        """A property of this step's API response, e.g. `ModelArtifacts.S3ModelArtifacts`."""
        return get(f"Steps.{self.name}.{path}")

    def nested_steps(self) -> tuple[Step, ...]:
        return ()

    def render(self) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "Name": self.name,
            "Type": self.type,
            "Arguments": dict(self.arguments),
        }
        if self.depends_on:
            rendered["DependsOn"] = list(self.depends_on)
        if self.property_files:
            rendered["PropertyFiles"] = [p.render() for p in self.property_files]
        return rendered


def processing_step(
    name: str, arguments: Mapping[str, Json], property_files: Sequence[PropertyFile] = ()
) -> Step:
    """A `Processing` step; arguments mirror CreateProcessingJob."""
    outputs = {
        o["OutputName"] for o in arguments.get("ProcessingOutputConfig", {}).get("Outputs", [])
    }
    for property_file in property_files:
        if property_file.output_name not in outputs:
            raise DefinitionError(
                f"step {name}: property file {property_file.name} reads output "
                f"{property_file.output_name!r}, which is not one of {sorted(outputs)}"
            )
    return Step(name, "Processing", arguments, property_files=tuple(property_files))


def processing_output_uri(step: Step, output_name: str) -> dict[str, str]:
    """The S3 URI a processing step uploaded one of its outputs to."""
    return step.property(f"ProcessingOutputConfig.Outputs['{output_name}'].S3Output.S3Uri")


def training_step(name: str, arguments: Mapping[str, Json]) -> Step:
    """A `Training` step; arguments mirror CreateTrainingJob."""
    return Step(name, "Training", arguments)


def model_artifacts_uri(step: Step) -> dict[str, str]:
    if step.type != "Training":
        raise DefinitionError(f"step {step.name} is a {step.type} step, not Training")
    return step.property("ModelArtifacts.S3ModelArtifacts")


def register_model_step(name: str, arguments: Mapping[str, Json]) -> Step:
    """A `RegisterModel` step; arguments mirror CreateModelPackage."""
    if "ModelPackageGroupName" not in arguments:
        raise DefinitionError(f"step {name}: RegisterModel needs ModelPackageGroupName")
    return Step(name, "RegisterModel", arguments)


def fail_step(name: str, error_message: Json) -> Step:
    """A `Fail` step: ends the execution as Failed with a message."""
    return Step(name, "Fail", {"ErrorMessage": error_message})


def json_get(step: Step, property_file: PropertyFile, path: str) -> dict[str, Any]:
    """`Std:JsonGet`: a value read at `path` from a step's property file."""
    if property_file not in step.property_files:
        raise DefinitionError(f"step {step.name} declares no property file {property_file.name}")
    return {
        "Std:JsonGet": {
            "PropertyFile": step.property(f"PropertyFiles.{property_file.name}"),
            "Path": path,
        }
    }


ConditionType = Literal[
    "Equals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo"
]


@dataclass(frozen=True)
class Condition:
    type: ConditionType
    left: Json
    right: Json

    def render(self) -> dict[str, Any]:
        return {"Type": self.type, "LeftValue": self.left, "RightValue": self.right}


@dataclass(frozen=True)
class ConditionStep(Step):
    """A `Condition` step: the nested steps run only on their branch."""

    if_steps: tuple[Step, ...] = ()
    else_steps: tuple[Step, ...] = ()

    def nested_steps(self) -> tuple[Step, ...]:
        return (*self.if_steps, *self.else_steps)

    def render(self) -> dict[str, Any]:
        rendered = super().render()
        rendered["Arguments"] = {
            **rendered["Arguments"],
            "IfSteps": [s.render() for s in self.if_steps],
            "ElseSteps": [s.render() for s in self.else_steps],
        }
        return rendered


def condition_step(
    name: str,
    conditions: Sequence[Condition],
    if_steps: Sequence[Step] = (),
    else_steps: Sequence[Step] = (),
) -> ConditionStep:
    if not conditions:
        raise DefinitionError(f"step {name}: a Condition step needs at least one condition")
    return ConditionStep(
        name,
        "Condition",
        {"Conditions": [c.render() for c in conditions]},
        if_steps=tuple(if_steps),
        else_steps=tuple(else_steps),
    )


def _references(value: Json) -> Iterator[str]:
    """Every `Get` path inside a JSON value."""
    if isinstance(value, Mapping):
        if set(value) == {"Get"} and isinstance(value["Get"], str):
            yield value["Get"]
            return
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _references(item)


@dataclass(frozen=True)
class PipelineDefinition:
    parameters: tuple[Parameter, ...]
    steps: tuple[Step, ...]
    metadata: Mapping[str, Json] = field(default_factory=dict)

    def all_steps(self) -> list[Step]:
        """Top-level and nested steps, in definition order."""
        found: list[Step] = []
        pending = list(self.steps)
        while pending:
            step = pending.pop(0)
            found.append(step)
            pending[0:0] = step.nested_steps()
        return found

    def _check(self) -> None:
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise DefinitionError(f"duplicate parameter names in {names}")
        steps = {}
        for step in self.all_steps():
            if step.name in steps:
                raise DefinitionError(f"duplicate step name {step.name!r}")
            steps[step.name] = step
        for step in steps.values():
            for dependency in step.depends_on:
                if dependency not in steps:
                    raise DefinitionError(f"step {step.name} depends on unknown {dependency!r}")
            for path in _references(step.render()):
                self._check_reference(step, path, steps, set(names))

    @staticmethod
    def _check_reference(step: Step, path: str, steps: dict[str, Step], params: set[str]) -> None:
        where = f"step {step.name} references {path!r}"
        if path.startswith("Execution."):
            if path not in _EXECUTION_VARIABLES:
                raise DefinitionError(f"{where}: not an execution variable")
        elif match := _PARAMETER_REFERENCE.match(path):
            if match.group(1) not in params:
                raise DefinitionError(f"{where}: no such parameter")
        elif match := _STEP_REFERENCE.match(path):
            target = steps.get(match.group(1))
            if target is None:
                raise DefinitionError(f"{where}: no such step")
            if target is step:
                raise DefinitionError(f"{where}: a step cannot read its own properties")
            prefix = f"Steps.{target.name}.PropertyFiles."
            if path.startswith(prefix):
                declared = {p.name for p in target.property_files}
                if path[len(prefix) :] not in declared:
                    raise DefinitionError(f"{where}: {target.name} declares {sorted(declared)}")
        else:
            raise DefinitionError(f"{where}: expected Parameters., Steps. or Execution.")

    def render(self) -> dict[str, Any]:
        """The definition as the JSON-ready dict SageMaker expects, after consistency checks."""
        self._check()
        return {
            "Version": SCHEMA_VERSION,
            "Metadata": dict(self.metadata),
            "Parameters": [p.render() for p in self.parameters],
            "Steps": [s.render() for s in self.steps],
        }
