"""`make run`: the whole stack on one machine — python -m infra.local.run [invoke <LogicalId> [event]]."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.local.engine.intrinsics import TemplateError  # light: no AWS imports

if TYPE_CHECKING:
    from infra.local.stack import AttachedStack, LocalStack

# The stack's modules (moto, boto3, the SAM translator) are imported inside run(), after the signal
# handlers are in place, so a Ctrl-C during start-up still stops cleanly; the start time includes them.
_PROCESS_START = time.monotonic()

log = logging.getLogger("local_stack")

_RUNNING: LocalStack | None = None
_ATTACHED: AttachedStack | None = None


def invoke_function(logical_id: str, event: Any) -> Any:
    """Invokes one of the template's functions with `event` and returns its result.

    In the process that runs the stack it uses that stack's functions; anywhere else (a make target, a
    test) it attaches to the running stack through its outputs.json (VIGIA_LOCAL_DIR, default .local)
    and runs the function in this process — a new execution environment, as Lambda would.
    """
    global _ATTACHED
    if _RUNNING is not None:
        return _RUNNING.invoke(logical_id, event)
    if _ATTACHED is None:
        from infra.local.stack import AttachedStack, StackConfig

        _ATTACHED = AttachedStack(StackConfig.from_env().local_dir)
    return _ATTACHED.invoke(logical_id, event)


# ==================================================================== banner
def credentials(entry: Any) -> tuple[str, str] | None:
    """(username, password) of a DemoUsers entry, whatever the seed's spelling."""
    if isinstance(entry, list) and entry:
        entry = entry[0]
    if not isinstance(entry, dict):
        return None
    username = entry.get("username") or entry.get("Username") or entry.get("email")
    password = entry.get("password") or entry.get("Password")
    return (str(username), str(password)) if username and password else None


def banner(outputs: dict[str, Any]) -> str:
    users = outputs.get("DemoUsers") or {}
    city = outputs.get("City")
    if city and outputs.get("CityName"):
        city = f"{outputs['CityName']} ({city})"
    lines = [
        "",
        f"Vigía local stack ready in {outputs['StartSeconds']:.1f} s"
        f" — city {city or '(not seeded)'}, stack {outputs['StackName']}",
        f"  Console        {outputs.get('ConsoleUrl') or outputs['ApiUrl'] + '/console/'}"
        "  (sign in as a demo operator or admin below)",
        f"  API            {outputs['ApiUrl']}",
        f"  WebSocket      {outputs.get('WebSocketUrl') or '(none)'}?token=<ID token>  (live events, staff)",
        f"  AWS emulator   {outputs['AwsEndpointUrl']}  (region {outputs['Region']}, any credentials)",
        f"  User pool      {outputs.get('UserPoolId')}  app client {outputs.get('UserPoolClientId')}",
        f"  outputs.json   {Path(outputs['OutboxPath']).with_name('outputs.json')}",
        f"  outbox         {outputs['OutboxPath']}",
    ]
    history = outputs.get("DemoHistory")
    if history:
        lines.append(
            f"  Demo history   {history.get('Days')} days: {history.get('Alerts')} alerts"
            f" ({history.get('OpenAlerts')} open now), {history.get('SilentAlerts')} silent,"
            f" {history.get('CheckIns')} check-ins, {history.get('Surveys')} surveys,"
            f" indicators of {history.get('IndicatorDays')} days"
            f" (+{history.get('IndicatorDaysQueued')} queued) — {history.get('Seconds')} s of the start"
            "  (VIGIA_DEMO_HISTORY_DAYS=0: none)"
        )
    if outputs.get("SeedError"):
        lines.append(f"  !! {outputs['SeedError']}")
    signed_in = None
    if users:
        lines.append("  Demo users (username / password):")
        for role, entry in users.items():
            pair = credentials(entry)
            if pair:
                lines.append(f"    {role:<14} {pair[0]} / {pair[1]}")
                if signed_in is None or role == "operator":
                    signed_in = pair
    if signed_in and outputs.get("UserPoolClientId"):
        auth = json.dumps(
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": outputs["UserPoolClientId"],
                "AuthParameters": {"USERNAME": signed_in[0], "PASSWORD": signed_in[1]},
            }
        )
        lines += [
            "  Try it:",
            f"    export API={outputs['ApiUrl']} AWS={outputs['AwsEndpointUrl']}",
            "    TOKEN=$(curl -s $AWS -H 'Content-Type: application/x-amz-json-1.1' \\",
            "      -H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' \\",
            f"      -d '{auth}' \\",
            "      | python3 -c 'import json,sys; "
            'print(json.load(sys.stdin)["AuthenticationResult"]["IdToken"])\')',
            '    curl -H "Authorization: Bearer $TOKEN" $API/v1/me',
        ]
    lines += ["Ctrl-C stops everything.", ""]
    return "\n".join(lines)


# ==================================================================== main
def _configure_logging() -> None:
    level = os.environ.get("VIGIA_LOCAL_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3", "samtranslator", "moto", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Powertools warns on every invocation that records no metric; in Lambda that goes to CloudWatch.
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _switch_api_by_signal(stack: LocalStack) -> None:
    """SIGUSR1 closes the API's port and SIGUSR2 opens it again, the rest running: a city of the local pair
    down, as its partner sees it (`kill -USR1 <Pid in .local/pair.json>`; the pair's partner-down test)."""

    def switch(signum: int, frame: Any) -> None:
        try:
            if signum == signal.SIGUSR1:
                stack.close_api()
            else:
                stack.reopen_api()
        except OSError as error:  # the port taken meanwhile: say so, and keep the stack running
            log.error("the API's port could not be opened again: %s", error)

    signal.signal(signal.SIGUSR1, switch)
    signal.signal(signal.SIGUSR2, switch)


def run() -> int:
    global _RUNNING
    _configure_logging()
    # SIGINT may arrive ignored (a parent that backgrounds us); Ctrl-C and SIGTERM must both stop cleanly.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    stack: LocalStack | None = None
    code = 0
    try:
        from infra.local.engine.stack import settle_heap
        from infra.local.stack import LocalStack, StackConfig

        stack = LocalStack(StackConfig.from_env(), started_at=_PROCESS_START)
        stack.start()
        _RUNNING = stack
        stack.seed()
        settle_heap()  # the demo city is the stack's for its whole run: no collection need walk it again
        _switch_api_by_signal(stack)
        outputs = stack.write_outputs()
        print(banner(outputs), flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        log.info("stopping")
    except (TemplateError, OSError) as error:
        log.error("the local stack could not start: %s", error)
        code = 1
    except Exception:
        log.exception("the local stack failed")
        code = 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(signum, signal.SIG_IGN)
        _RUNNING = None
        if stack is not None:
            stack.stop()
        log.info("stopped")
    return code


def _cli_invoke(args: list[str]) -> int:
    if not args:
        print(
            "usage: python -m infra.local.run invoke <LogicalId> [<event JSON> | @file.json | -]",
            file=sys.stderr,
        )
        return 2
    raw = args[1] if len(args) > 1 else "{}"
    if raw == "-":
        raw = sys.stdin.read()
    elif raw.startswith("@"):
        raw = Path(raw[1:]).read_text()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    # The function's own output (Powertools logs and metrics) goes to stderr; stdout is its result alone.
    with contextlib.redirect_stdout(sys.stderr):
        result = invoke_function(args[0], json.loads(raw))
    print(json.dumps(result, ensure_ascii=False))  # one line, last: callers read it past handler logs
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "invoke":
        return _cli_invoke(args[1:])
    if args:
        print(__doc__, file=sys.stderr)
        return 2
    return run()


def _exit_now(code: int) -> None:
    """Exits without tearing down the interpreter: everything is already stopped, and freeing the
    emulator's in-memory AWS (thousands of items) object by object made Ctrl-C take seconds."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    code = main()
    if len(sys.argv) == 1:
        _exit_now(code)
    sys.exit(code)
