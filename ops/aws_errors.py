"""What an AWS call's failure says, in a few words, for the one-line reports of ops' commands."""

from __future__ import annotations

from botocore.exceptions import ClientError


def why(error: Exception) -> str:
    """`GetX answered AccessDenied: <message>`, or the exception's type and message."""
    if isinstance(error, ClientError):
        err = error.response.get("Error", {})
        code = err.get("Code") or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = " ".join(str(err.get("Message", "")).split())[:160]
        return f"{error.operation_name} answered {code}{': ' + message if message else ''}"
    return f"{type(error).__name__}: {' '.join(str(error).split())[:160]}"
