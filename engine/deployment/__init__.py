"""Deploy-time validation of BPMN files and their Camunda Forms."""

from engine.deployment.problems import DeploymentError, DeploymentProblem
from engine.deployment.validate import SourceFile, ValidatedDeployment, validate_deployment

__all__ = ["DeploymentError", "DeploymentProblem", "SourceFile", "ValidatedDeployment", "validate_deployment"]
