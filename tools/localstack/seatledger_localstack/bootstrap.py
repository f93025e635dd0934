"""One function's process: imports its handler, then answers invocations one line at a time.

Started by `executor.HostRuntimeExecutor` as ``python -S -P bootstrap.py`` with ``_HANDLER`` and
``PYTHONPATH`` (the function's code, then its layers) set, so nothing but the standard library
and what was deployed is importable. Standard library only.

Protocol: each line on stdin is LocalStack's invoke payload (``invoke-id``,
``invoked-function-arn``, ``payload`` as JSON text, ``trace-id``); each answer is one line,
``{"ok": bool, "payload": <JSON text>}``, on the original stdout. The function's own prints go
to stderr, which the executor keeps as the function's log.
"""

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class Context:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, request: dict[str, str]) -> None:
        env = os.environ
        self.aws_request_id = request["invoke-id"]
        self.invoked_function_arn = request["invoked-function-arn"]
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        timeout = float(env.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def error(error_type: str, message: str, exc: BaseException | None = None) -> dict[str, Any]:
    """An error payload as Lambda's Python runtime writes it, with the traceback in the log."""
    trace = traceback.format_exception(exc) if exc else []
    print(f"[ERROR] {error_type}: {message}", *trace, sep="\n", file=sys.stderr, flush=True)
    return {"errorMessage": message, "errorType": error_type, "stackTrace": trace}


def load_handler() -> tuple[Any, dict[str, Any] | None]:
    """The handler, or the error every invocation gets when it cannot be imported."""
    module_name, _, name = os.environ["_HANDLER"].rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name), None
    except Exception as e:  # Lambda reports an import failure on each invocation
        return None, error("Runtime.ImportModuleError", f"Unable to import {module_name}: {e}", e)


def main() -> None:
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # print() in the function writes to the log, never into the answers
    handler, import_error = load_handler()
    for line in sys.stdin:
        request = json.loads(line)
        os.environ["_X_AMZN_TRACE_ID"] = request.get("trace-id") or ""
        ok, result = False, import_error
        if handler is not None:
            try:
                result, ok = handler(json.loads(request["payload"]), Context(request)), True
            except Exception as e:
                result = error(type(e).__name__, str(e), e)
        try:
            text = json.dumps(result)
        except (TypeError, ValueError) as e:
            ok, text = False, json.dumps(error("Runtime.MarshalError", str(e)))
        sys.stdout.flush()
        sys.stderr.flush()
        answers.write(json.dumps({"ok": ok, "payload": text}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
