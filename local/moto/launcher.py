"""Tenantry's moto launcher: patch moto 5.2.5 at import time, then run `moto.server.main`.

Usage: .venv/bin/python local/moto/launcher.py --port 4566 [--host 127.0.0.1]

Environment:
  TENANTRY_HANDLER_HOST_URL  base URL of local/handler-host.ts (e.g. http://127.0.0.1:4567). Step Functions
                             `lambda:invoke` / `arn:aws:lambda:...` tasks and EventBridge Lambda targets are
                             sent there (moto's own Lambda needs Docker).
  TENANTRY_NODE              node binary for the JSONata worker (default: `node` on PATH).

Every patch checks the moto attribute it replaces exists, and fails loudly (naming it) when it does not:
a moto upgrade must not silently turn a patch into a no-op.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import moto

HERE = Path(__file__).resolve().parent
LOG = logging.getLogger("tenantry.moto")
EXPECTED_MOTO_VERSION = "5.2.5"


class PatchError(RuntimeError):
    pass


def _require(obj: Any, name: str) -> Any:
    if not hasattr(obj, name):
        raise PatchError(
            f"moto {moto.__version__}: expected attribute '{name}' on {getattr(obj, '__name__', obj)!r}; "
            f"local/moto/launcher.py was written for moto {EXPECTED_MOTO_VERSION}"
        )
    return getattr(obj, name)


# --------------------------------------------------------------------------------------------------
# 1. JSONata: a real evaluator (the npm `jsonata` package in a long-lived Node process)
# --------------------------------------------------------------------------------------------------
class JsonataWorker:
    """Line-delimited JSON over stdin/stdout to local/moto/jsonata-worker.mjs. Thread-safe (one lock:
    the worker answers strictly in order). Restarted if it dies."""

    def __init__(self, node: str, script: Path):
        self._node = node
        self._script = script
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._next_id = 0

    def _ensure(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [self._node, str(self._script)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=sys.stderr,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        return self._proc

    def evaluate(self, expression: str) -> Any:
        from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

        with self._lock:
            proc = self._ensure()
            self._next_id += 1
            req_id = self._next_id
            try:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(json.dumps({"id": req_id, "expr": expression}) + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
            except (BrokenPipeError, OSError) as ex:
                self._proc = None
                raise JSONataException("WORKER", f"JSONata worker failed: {ex}") from ex
            if not line:
                self._proc = None
                raise JSONataException("WORKER", "JSONata worker exited unexpectedly")
            answer = json.loads(line)
            if answer.get("id") != req_id:
                self._proc.kill()
                self._proc = None
                raise JSONataException("WORKER", f"JSONata worker answered request {answer.get('id')}, expected {req_id}")
            if answer.get("ok"):
                return answer.get("value")
            err = answer.get("error") or {}
            raise JSONataException(str(err.get("code", "ERROR")), str(err.get("message", "")))

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()


def patch_jsonata(worker: JsonataWorker) -> None:
    from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.common.string import string_expression
    from moto.stepfunctions.parser.asl.component.intrinsic import jsonata as intrinsic_jsonata
    from moto.stepfunctions.parser.asl.eval import states as eval_states
    from moto.stepfunctions.parser.asl.eval import variable_store
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.jsonata import jsonata as jsonata_mod

    # (a) the evaluator itself: 5.2.5 still leaves `_eval_jsonata` as None (calling it raises TypeError).
    _require(jsonata_mod, "_eval_jsonata")
    jsonata_mod._eval_jsonata = worker.evaluate

    # (b) string values are spliced into the expression as f'"{value}"' (no escaping): a value containing
    #     a quote, backslash or newline breaks the expression. Encode every value as JSON.
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    def encode_jsonata_variable_declarations(bindings: dict[str, Any]) -> str:
        # to_json_str: moto's encoder (datetimes from aws-sdk results become ISO strings, as moto does elsewhere)
        return "".join(f"{ref}:={to_json_str(value, separators=(',', ':'))};" for ref, value in bindings.items())

    for mod in (jsonata_mod, eval_states, variable_store):
        _require(mod, "encode_jsonata_variable_declarations")
        mod.encode_jsonata_variable_declarations = encode_jsonata_variable_declarations

    # (c) moto declares $hash and $uuid as stubs returning "Function ... is currently not supported" and
    #     $parse via $eval; the worker registers real ones (AWS semantics), so drop moto's declarations.
    decls = _require(intrinsic_jsonata, "_DECLARATION_BY_VARIABLE_REFERENCE")
    for ref in ("$hash", "$uuid", "$parse"):
        decls.pop(ref, None)

    # (d) an evaluation error must surface as States.QueryEvaluationError (retriable/catchable), not as the
    #     States.Runtime moto turns an unexpected Python exception into.
    def query_evaluation_failure(env: Any, expression: str, ex: Exception) -> FailureEventException:
        error = StatesErrorNameType.StatesQueryEvaluationError.to_name()
        details = getattr(ex, "details", None) or str(ex)
        cause = f"An error occurred while evaluating the JSONata expression '{expression}': {details}"
        return FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError),
                event_type=HistoryEventType.EvaluationFailed,
                event_details=EventDetails(
                    evaluationFailedEventDetails=EvaluationFailedEventDetails(error=error, cause=cause)
                ),
            )
        )

    for cls_name in ("StringJSONata", "StringVariableSample"):
        cls = _require(string_expression, cls_name)
        original = cls._eval_body

        def _eval_body(self: Any, env: Any, _original: Any = original) -> None:
            try:
                _original(self, env)
            except jsonata_mod.JSONataException as ex:
                raise query_evaluation_failure(env, self.expression, ex) from ex

        cls._eval_body = _eval_body


# --------------------------------------------------------------------------------------------------
# 2. aws-sdk integrations: Step Functions (Java SDK) service names vs boto3 names, and error prefixes
# --------------------------------------------------------------------------------------------------
# Step Functions `arn:aws:states:::aws-sdk:<name>:<action>` name -> boto3 service name (only the ones that differ).
SFN_TO_BOTO_SERVICE = {
    "sfn": "stepfunctions",
    "states": "stepfunctions",
    "cognitoidentityprovider": "cognito-idp",
    "cognitoidentity": "cognito-identity",
    "eventbridge": "events",
    "marketplacemetering": "meteringmarketplace",
    "marketplaceentitlement": "marketplace-entitlement",
    "marketplacecatalog": "marketplace-catalog",
    "cloudwatchlogs": "logs",
    "cloudwatchevents": "events",
    "applicationautoscaling": "application-autoscaling",
    "elasticloadbalancingv2": "elbv2",
    "elasticloadbalancing": "elb",
    "costexplorer": "ce",
    "acmpca": "acm-pca",
    "ssoadmin": "sso-admin",
    "databasemigration": "dms",
    "sagemakerruntime": "sagemaker-runtime",
    "emrcontainers": "emr-containers",
    "emrserverless": "emr-serverless",
    "resourcegroupstaggingapi": "resourcegroupstaggingapi",
    "servicequotas": "service-quotas",
    "iotdata": "iot-data",
    "secretsmanager": "secretsmanager",
}

# Lower-cased Step Functions service name -> prefix AWS puts on aws-sdk error names
# (e.g. `CognitoIdentityProvider.UsernameExistsException`, `DynamoDb.ConditionalCheckFailedException`).
SFN_ERROR_PREFIX = {
    "dynamodb": "DynamoDb",
    "sfn": "Sfn",
    "cognitoidentityprovider": "CognitoIdentityProvider",
    "cognitoidentity": "CognitoIdentity",
    "cloudformation": "CloudFormation",
    "eventbridge": "EventBridge",
    "marketplacemetering": "MarketplaceMetering",
    "kinesisanalyticsv2": "KinesisAnalyticsV2",
    "kinesis": "Kinesis",
    "firehose": "Firehose",
    "kms": "Kms",
    "sts": "Sts",
    "s3": "S3",
    "iam": "Iam",
    "lambda": "Lambda",
    "sqs": "Sqs",
    "sns": "Sns",
    "ssm": "Ssm",
    "secretsmanager": "SecretsManager",
    "cloudwatch": "CloudWatch",
    "cloudwatchlogs": "CloudWatchLogs",
    "apigateway": "ApiGateway",
    "ec2": "Ec2",
    "ecs": "Ecs",
    "rds": "Rds",
}


def patch_aws_sdk_names() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service,
        state_task_service_aws_sdk,
    )

    overrides = _require(state_task_service.StateTaskService, "_SERVICE_NAME_SFN_TO_BOTO_OVERRIDES")
    overrides.update(SFN_TO_BOTO_SERVICE)
    error_names = _require(state_task_service_aws_sdk, "_SERVICE_ERROR_NAMES")
    error_names.update(SFN_ERROR_PREFIX)

    # moto names the error after the Python exception class; an unmodelled error is a plain ClientError and
    # came out as `<Svc>.<Svc>Exception`. AWS uses the error code.
    sdk_cls = state_task_service_aws_sdk.StateTaskServiceAwsSdk
    _require(sdk_cls, "_normalise_exception_name")

    def _normalise_exception_name(norm_service_name: str, ex: Exception) -> str:
        code = None
        response = getattr(ex, "response", None)
        if isinstance(response, dict):
            code = (response.get("Error") or {}).get("Code")
        name = code or ex.__class__.__name__
        if name == "ClientError":
            name = norm_service_name
        norm = f"{norm_service_name}.{name}"
        return norm if norm.endswith("Exception") else norm + "Exception"

    sdk_cls._normalise_exception_name = staticmethod(_normalise_exception_name)


# --------------------------------------------------------------------------------------------------
# 3. Lambda: Step Functions tasks and EventBridge targets go to the local handler host
# --------------------------------------------------------------------------------------------------
def handler_host_url() -> str:
    url = os.environ.get("TENANTRY_HANDLER_HOST_URL", "").rstrip("/")
    if not url:
        raise RuntimeError(
            "TENANTRY_HANDLER_HOST_URL is not set: the moto launcher cannot route Lambda invocations "
            "(start the local environment with local/env.ts, which starts local/handler-host.ts)"
        )
    return url


def patch_lambda_routing() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_aws_sdk

    for mod in (lambda_eval_utils, state_task_service_aws_sdk):
        original = _require(mod, "boto_client_for")

        def boto_client_for(region: str, service: str, state_credentials: Any = None, _orig: Any = original) -> Any:
            if service != "lambda":
                return _orig(region=region, service=service, state_credentials=state_credentials)
            import boto3
            from botocore.config import Config

            return boto3.client(
                "lambda",
                region_name=region,
                endpoint_url=handler_host_url(),
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(
                    parameter_validation=False,
                    retries={"max_attempts": 0, "total_max_attempts": 1},
                    connect_timeout=10,
                    read_timeout=900,
                ),
            )

        mod.boto_client_for = boto_client_for


def _function_name_from_arn(arn: str) -> str:
    # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    parts = arn.split(":")
    return parts[6] if len(parts) >= 7 else arn


def invoke_handler_host_async(function_arn: str, event: Any) -> None:
    """EventBridge delivers to Lambda asynchronously (InvocationType Event)."""
    name = _function_name_from_arn(function_arn)
    url = f"{handler_host_url()}/2015-03-31/functions/{urllib.parse.quote(name, safe='')}/invocations"
    req = urllib.request.Request(
        url,
        data=json.dumps(event).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json", "X-Amz-Invocation-Type": "Event"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
    except Exception as ex:  # EventBridge never fails PutEvents because a target failed
        LOG.warning("EventBridge -> Lambda target %s delivery failed: %s", name, type(ex).__name__)


def patch_eventbridge_targets() -> None:
    """moto 5.2.5 `Rule.send_to_targets` raises NotImplementedError for Lambda and Step Functions targets
    (and moto's Lambda would need Docker). Deliver those ourselves; everything else (SQS, log groups,
    archives, other buses, API destinations) goes through moto unchanged."""
    import copy

    from moto.events import models as events_models
    from moto.events.utils import EventTemplateParser
    from moto.utilities.arns import parse_arn

    rule_cls = _require(events_models, "Rule")
    original = _require(rule_cls, "send_to_targets")

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        ours, others = [], []
        for target in self.targets:
            service = parse_arn(target["Arn"]).service
            (ours if service in ("lambda", "states") else others).append(target)
        if others:
            view = copy.copy(self)
            view.targets = others
            original(view, original_event, transform_input)
        for target in ours:
            if transform_input:
                transformer = target.get("InputTransformer", {})
                event = EventTemplateParser.parse(
                    input_template=transformer.get("InputTemplate"),
                    input_paths_map=transformer.get("InputPathsMap", {}),
                    event=original_event,
                )
            else:
                event = original_event.copy()
            if "Input" in target:
                event = json.loads(target["Input"])
            arn = target["Arn"]
            if parse_arn(arn).service == "lambda":
                threading.Thread(target=invoke_handler_host_async, args=(arn, event), daemon=True).start()
            else:
                _start_state_machine(self.account_id, self.region_name, arn, event)

    rule_cls.send_to_targets = send_to_targets


def _start_state_machine(account_id: str, region: str, arn: str, event: Any) -> None:
    from moto.stepfunctions.responses import get_backend

    try:
        get_backend(account_id, region).start_execution(
            state_machine_arn=arn, name="", execution_input=json.dumps(event, default=str)
        )
    except Exception as ex:
        LOG.warning("EventBridge -> Step Functions target %s failed: %s", arn, ex)


# --------------------------------------------------------------------------------------------------
# 4. KMS keys (in particular those CloudFormation creates and deletes) behave as on AWS
# --------------------------------------------------------------------------------------------------
def patch_dynamodb_transactions() -> None:
    """moto 5.2.5's TransactWriteItems deep-copies every table the transaction names before it starts,
    to roll a cancelled transaction back: O(table size) per call, which made billing on a seeded ledger
    (thousands of items) spend seconds per transaction. A transaction changes only the items it names,
    so snapshot those items instead and restore them when the transaction fails: the same all-or-nothing
    outcome at O(items) per call."""
    import copy

    from moto.dynamodb import models as ddb_models
    from moto.dynamodb.models.table import Table

    backend_cls = _require(ddb_models, "DynamoDBBackend")
    original = _require(backend_cls, "transact_write_items")
    _require(backend_cls, "get_keys_value")
    _require(ddb_models, "copy")

    class TablesNotCopied:
        """The module's `copy` inside moto: tables are kept as they are (their items are snapshotted below)."""

        @staticmethod
        def deepcopy(obj: Any) -> Any:
            return obj if isinstance(obj, Table) else copy.deepcopy(obj)

    ddb_models.copy = TablesNotCopied  # type: ignore[attr-defined]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Any, Any, Any, Any]] = []
        for entry in transact_items:
            if len(entry) != 1:
                continue  # moto refuses it before anything is written
            op = next(iter(entry.values()))
            table = self.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            keys = op.get("Item", op.get("Key")) if table is not None else None
            if not keys:
                continue
            try:
                hash_key, range_key = self.get_keys_value(table, keys)
            except Exception:  # noqa: BLE001 - a malformed key fails the transaction before it writes
                continue
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                if item is not None and range_key is not None:
                    table.items[hash_key][range_key] = item
                elif item is not None:
                    table.items[hash_key] = item
                elif range_key is not None:
                    table.items.get(hash_key, {}).pop(range_key, None)
                else:
                    table.items.pop(hash_key, None)
            raise

    backend_cls.transact_write_items = transact_write_items


def patch_dynamodb_reads() -> None:
    """moto 5.2.5 serves every Query and Scan page from the whole table: `Table.all_items()` lists and
    sorts every item (comparing DynamoType objects), an index Query then sorts its matches once more, and
    a page after the first walks from the start to its ExclusiveStartKey comparing item by item. A page
    therefore cost O(table log table) however small it was: at 100,000 items ≈ 2.5 s per index Query
    page, ≈ 1 s per Scan page, ≈ 0.6 s per base-table page of a 25,000-item partition, so a promotion's
    copy and verification slowed down with the size of the table.

    Here a page reads only what DynamoDB would: a base-table Query its partition, an index Query the
    items of its index partition (the index hash key's value, every index key attribute present), a
    base-table Scan the table. Those items are ordered by the same attributes moto orders them by
    (compared as the Python values moto compares, without DynamoType objects), the ExclusiveStartKey is
    found by bisection, and moto's own query/scan then runs on the page's window only: the items from the
    start key up to the one after the page's `Limit`-th key match (where moto stops). Results, order,
    LastEvaluatedKey, Count and ScannedCount stay moto's. A shape this does not cover (a legacy
    QueryFilter, multi-attribute index keys, a Scan of an index, a start key lacking a key attribute)
    goes to moto unchanged."""
    import inspect
    from bisect import bisect_left, bisect_right
    from decimal import Decimal

    from moto.dynamodb.comparisons import get_comparison_func
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import GlobalSecondaryIndex, Table

    original_query = _require(Table, "query")
    original_scan = _require(Table, "scan")
    original_all_items = _require(Table, "all_items")
    _require(Table, "_generate_attr_to_sort_by")
    _require(Table, "get_index")
    _require(DynamoType, "cast_value")
    query_signature = inspect.signature(original_query)
    scan_signature = inspect.signature(original_scan)
    scope = threading.local()

    def all_items(self: Any) -> Any:
        window = getattr(scope, "window", None)
        if window is not None and window[0] is self:
            return window[1]
        return original_all_items(self)

    def with_window(self: Any, window: Any, run: Any) -> Any:
        scope.window = (self, window)
        try:
            return run()
        finally:
            scope.window = None

    def key_value(value: Any) -> Any:
        """`DynamoType.cast_value` of a key attribute (S, N or B), which moto compares, at a fraction of
        its cost (it tests every other type first); a non-key type raises TypeError."""
        kind = value.type
        if kind == "S" or kind == "B":
            return value.value
        if kind == "N":
            return Decimal(value.value)
        raise TypeError(f"not a key attribute type: {kind}")

    def ordered(items: Any, attrs: list[str]) -> tuple[list[Any], list[tuple[Any, ...]]] | None:
        """The items ordered by `attrs` as moto orders them (tuples of the attributes' cast values), with
        their keys; None when they cannot be ordered so (an attribute missing, values of mixed types)."""
        try:
            if len(attrs) == 1:
                (first,) = attrs
                keyed = [((key_value(item.attrs[first]),), item) for item in items]
            else:
                first, second, *rest = attrs
                keyed = [
                    (
                        (key_value(item.attrs[first]), key_value(item.attrs[second]))
                        + tuple(key_value(item.attrs[attr]) for attr in rest),
                        item,
                    )
                    for item in items
                ]
            keyed.sort(key=lambda pair: pair[0])
        except (KeyError, TypeError):
            return None
        return [item for _, item in keyed], [key for key, _ in keyed]

    def start_key(dct: dict[str, Any], attrs: list[str]) -> tuple[Any, ...]:
        return tuple(key_value(DynamoType(dct[attr])) for attr in attrs)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = query_signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        a = bound.arguments
        plan = query_window(self, a)
        if plan is None:
            return original_query(self, *args, **kwargs)
        return with_window(self, plan, lambda: original_query(self, *args, **kwargs))

    def query_window(self: Any, a: dict[str, Any]) -> list[Any] | None:
        """The items moto's query would go through for this page, in ascending order (moto sorts them
        and reverses them for ScanIndexForward=false); None: let moto read the whole table."""
        if a["filter_kwargs"] or a["hash_key"] is None:
            return None
        index_name = a["index_name"]
        range_conditions = a["range_key_conditions"] or []
        if len(range_conditions) > 1:
            return None
        if index_name:
            indexes = {index.name: index for index in self.all_indexes()}
            index = indexes.get(index_name)
            if index is None or (a["consistent_read"] and isinstance(index, GlobalSecondaryIndex)):
                return None  # moto's validation error
            hash_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
            conditions = a["hash_key_conditions"] or []
            if len(hash_keys) != 1 or len(range_keys) > 1 or [name for name, _ in conditions] != hash_keys:
                return None
            hash_attr, value = conditions[0]
            if value.type not in ("S", "N", "B"):
                return None
            wanted = (value.type, key_value(value))
            candidates = [
                item
                for item in self_items(self)
                if (found := item.attrs.get(hash_attr)) is not None
                and found.type == wanted[0]
                and (found.value == value.value or key_value(found) == wanted[1])
                and all(item.attrs.get(key) for key in range_keys)
            ]
            if range_keys:
                range_attrs: list[Any] = [range_keys[0], self.range_key_attr]
                comparison_attr = range_keys[0]
            elif self.range_key_attr:  # a GSI without a sort key: moto compares by the table's
                range_attrs = [self.range_key_attr, self.range_key_attr]
                comparison_attr = self.range_key_attr
            else:
                range_attrs = [self.hash_key_attr, self.range_key_attr]
                comparison_attr = self.hash_key_attr
            skip_attrs = self._generate_attr_to_sort_by([hash_attr, self.hash_key_attr], range_attrs)
            # every candidate has the queried hash value, and an attribute named twice orders nothing more
            sort_attrs = list(dict.fromkeys(attr for attr in skip_attrs if attr != hash_attr))
        else:
            bucket = self.items.get(a["hash_key"])
            if bucket is None:
                candidates = []
            elif self.range_key_attr:
                candidates = list(bucket.values())
            else:
                candidates = [bucket]
            comparison_attr = None
            sort_attrs = [self.range_key_attr or self.hash_key_attr]
            skip_attrs = [self.hash_key_attr] + ([self.range_key_attr] if self.range_key_attr else [])
        if range_conditions:
            comparison_attr = range_conditions[-1][0]
        order = ordered(candidates, sort_attrs)
        if order is None:
            return None
        items, keys = order
        forward = a["scan_index_forward"] is not False
        esk = a["exclusive_start_key"]
        if esk is not None:
            if any(attr not in esk for attr in skip_attrs):
                return None
            if not index_name and DynamoType(esk[self.hash_key_attr]) != a["hash_key"]:
                return None  # a start key of another partition
            # moto skips items up to the start key comparing `skip_attrs`; in one partition they order
            # items as `sort_attrs` do
            at = start_key(esk, sort_attrs)
            items = items[bisect_right(keys, at) :] if forward else items[: bisect_left(keys, at)]
        sequence = items if forward else list(reversed(items))
        comparison, limit = a["range_comparison"], a["limit"]
        compare = get_comparison_func(comparison) if comparison else None
        try:
            bounds = [key_value(obj) for obj in a["range_objs"]] if compare else []
        except TypeError:
            return None

        def matches(item: Any) -> bool:
            """moto's range-condition test of the item (the same comparison function, on the same values)."""
            if compare is None:
                return True
            found = item.attrs.get(comparison_attr) if comparison_attr else None
            if found is None and index_name:
                return False
            return bool(compare(key_value(found if found is not None else item.range_key), *bounds))

        # The items the key condition matches, up to the Limit-th, then the next item of any kind: moto
        # stops there with a LastEvaluatedKey. (Items the range condition rejects are left out: moto
        # skipped them too, only counting their size towards the 1 MB page limit, which DynamoDB counts
        # over the items the key condition matches.)
        window: list[Any] = []
        matched = 0
        try:
            for item in sequence:
                if matched == limit:
                    window.append(item)
                    break
                if matches(item):
                    window.append(item)
                    matched += 1
        except TypeError:
            return None
        return window if forward else list(reversed(window))

    def self_items(self: Any) -> Any:
        for bucket in self.items.values():
            if self.range_key_attr:
                yield from bucket.values()
            else:
                yield bucket

    def scan(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = scan_signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        a = bound.arguments
        if a["index_name"]:
            return original_scan(self, *args, **kwargs)
        attrs = [self.hash_key_attr] + ([self.range_key_attr] if self.range_key_attr else [])
        order = ordered(list(self_items(self)), attrs)
        if order is None:
            return original_scan(self, *args, **kwargs)
        items, keys = order
        esk = a["exclusive_start_key"]
        if esk is not None:
            if any(attr not in esk for attr in attrs):
                return original_scan(self, *args, **kwargs)
            items = items[bisect_right(keys, start_key(esk, attrs)) :]
        # moto's scan loop stops at its Limit: hand it the items lazily
        return with_window(self, iter(items), lambda: original_scan(self, *args, **kwargs))

    Table.all_items = all_items
    Table.query = query
    Table.scan = scan


def patch_kinesis_put_record() -> None:
    """moto 5.2.5's Shard.put_record takes the next sequence number as the highest + 1 and stores the
    record under it, without a lock: two PutRecords calls served by concurrent server threads can take the
    same number, and the second record replaces the first — a record lost without an error (the seed-scale
    bench lost ≈ 1 event in 10 of its tenant-metric pairs this way). One lock serialises the append."""
    from moto.kinesis import models as kinesis_models

    shard_cls = _require(kinesis_models, "Shard")
    original = _require(shard_cls, "put_record")
    lock = threading.Lock()

    def put_record(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    shard_cls.put_record = put_record


ORGANIZATIONS_CONFIG_KEY = "organizations"


def patch_organizations_limits() -> None:
    """moto completes CreateAccount at once and never refuses CloseAccount; AWS takes minutes to create an
    account and limits closures (10 % of the member accounts per 30 days). Two switches, set through
    `POST /moto-api/config {"organizations": {...}}` (absent or 0/false: moto's own behaviour):
      - `create_account_pending_reads: N` — each CreateAccount request made while it is set stays
        IN_PROGRESS for its next N DescribeCreateAccountStatus reads (listed IN_PROGRESS by
        ListCreateAccountStatus), and its account is not a member (ListAccounts, DescribeAccount,
        MoveAccount, CloseAccount do not see it) until a read reports it SUCCEEDED.
      - `close_account_quota_exceeded: true` — CloseAccount fails as AWS does when the quota is spent
        (ConstraintViolationException, reason CLOSE_ACCOUNT_QUOTA_EXCEEDED).
    `POST /moto-api/reset` turns both off. The lifecycle's own code runs unchanged against both: only
    what Organizations answers changes."""
    from moto.core.config import default_user_config
    from moto.moto_api._internal import models as api_models
    from moto.organizations import exceptions as org_exceptions
    from moto.organizations import models as org_models

    api_cls = _require(api_models, "MotoAPIBackend")
    account_cls = _require(org_models, "FakeAccount")
    backend_cls = _require(org_models, "OrganizationsBackend")
    constraint_violation = _require(org_exceptions, "ConstraintViolationException")
    original_set_config = _require(api_cls, "set_config")
    original_reset = _require(api_cls, "reset")
    original_status = _require(account_cls, "create_account_status")
    original_create = _require(backend_cls, "create_account")
    original_describe_status = _require(backend_cls, "describe_create_account_status")
    original_list_status = _require(backend_cls, "list_create_account_status")
    original_close = _require(backend_cls, "close_account")
    lock = threading.Lock()

    def settings() -> dict[str, Any]:
        return default_user_config.get(ORGANIZATIONS_CONFIG_KEY, {})  # type: ignore[return-value]

    def set_config(self: Any, config: dict[str, Any]) -> None:
        original_set_config(self, config)
        if ORGANIZATIONS_CONFIG_KEY in config:
            default_user_config[ORGANIZATIONS_CONFIG_KEY] = config[ORGANIZATIONS_CONFIG_KEY]  # type: ignore[literal-required]

    def reset(self: Any) -> None:
        # moto's reset keeps its user config; a test that stopped before unsetting a switch must not
        # leave it on for the next.
        default_user_config.pop(ORGANIZATIONS_CONFIG_KEY, None)  # type: ignore[misc]
        original_reset(self)

    def create_account_status(self: Any) -> dict[str, Any]:
        status = original_status.fget(self)
        if getattr(self, "tenantry_pending_reads", 0) <= 0:
            return status
        pending = {k: v for k, v in status["CreateAccountStatus"].items() if k not in ("AccountId", "CompletedTimestamp")}
        return {"CreateAccountStatus": {**pending, "State": "IN_PROGRESS"}}

    def pending_accounts(backend: Any) -> list[Any]:
        if not hasattr(backend, "tenantry_pending_accounts"):
            backend.tenantry_pending_accounts = []
        return backend.tenantry_pending_accounts  # type: ignore[no-any-return]

    def create_account(self: Any, **kwargs: Any) -> dict[str, Any]:
        with lock:
            status = original_create(self, **kwargs)
            reads = int(settings().get("create_account_pending_reads", 0))
            if reads <= 0:
                return status  # type: ignore[no-any-return]
            account = self.accounts.pop()  # the one just created: a member only once it succeeds
            account.tenantry_pending_reads = reads
            pending_accounts(self).append(account)
            return account.create_account_status  # type: ignore[no-any-return]

    def describe_create_account_status(self: Any, **kwargs: Any) -> dict[str, Any]:
        with lock:
            pending = pending_accounts(self)
            for account in pending:
                if account.create_account_status_id == kwargs["CreateAccountRequestId"]:
                    status = account.create_account_status
                    account.tenantry_pending_reads -= 1
                    if account.tenantry_pending_reads <= 0:
                        pending.remove(account)
                        self.accounts.append(account)
                    return status  # type: ignore[no-any-return]
            return original_describe_status(self, **kwargs)  # type: ignore[no-any-return]

    def list_create_account_status(self: Any, **kwargs: Any) -> dict[str, Any]:
        with lock:
            listed = original_list_status(self, **kwargs)
            states = kwargs.get("States") or ["IN_PROGRESS"]
            if kwargs.get("NextToken") is None and "IN_PROGRESS" in states:
                listed["CreateAccountStatuses"] = [
                    *(a.create_account_status["CreateAccountStatus"] for a in pending_accounts(self)),
                    *listed["CreateAccountStatuses"],
                ]
            return listed  # type: ignore[no-any-return]

    def close_account(self: Any, **kwargs: Any) -> None:
        if settings().get("close_account_quota_exceeded"):
            raise constraint_violation(
                "You have exceeded close account quota for the past 30 days. (CLOSE_ACCOUNT_QUOTA_EXCEEDED)"
            )
        original_close(self, **kwargs)

    api_cls.set_config = set_config
    api_cls.reset = reset
    account_cls.create_account_status = property(create_account_status)
    backend_cls.create_account = create_account
    backend_cls.describe_create_account_status = describe_create_account_status
    backend_cls.list_create_account_status = list_create_account_status
    backend_cls.close_account = close_account


LAMBDA_CONCURRENCY_CONFIG_KEY = "lambda_concurrency"
LAMBDA_DEFAULT_CONCURRENCY = 1000  # AWS's default "Concurrent executions" quota per account and region
LAMBDA_MIN_UNRESERVED = 100  # Lambda keeps this much unreserved (configuration-concurrency.html)


def patch_lambda_concurrency_quota() -> None:
    """moto serves neither Lambda's GetAccountSettings nor Service Quotas' requests, and enforces no
    concurrency quota in CloudFormation. A switch, set through `POST /moto-api/config
    {"lambda_concurrency": {"limits": {"<account id>": N}, "default": M}}` (an account not named: M,
    or without `default` 1000 and no enforcement), gives an account the quota N in every region (a
    member account created during a test has no id beforehand: `default`):
      - GetAccountSettings answers ConcurrentExecutions N and UnreservedConcurrentExecutions N minus
        the reservations of the account's functions in that region;
      - CloudFormation refuses (InvalidParameterValueException, as Lambda does) a function whose
        ReservedConcurrentExecutions would leave fewer than 100 unreserved in such an account.
    Service Quotas' RequestServiceQuotaIncrease and ListRequestedServiceQuotaChangeHistoryByQuota are
    served minimally: a request is recorded PENDING (never granted), one open request per quota (a
    second is refused, ResourceAlreadyExistsException, as AWS does). `POST /moto-api/reset` clears the
    switch (and moto's reset the requests)."""
    from moto.awslambda import exceptions as lambda_exceptions
    from moto.awslambda import models as lambda_models
    from moto.awslambda import responses as lambda_responses
    from moto.awslambda import urls as lambda_urls
    from moto.awslambda import utils as lambda_utils
    from moto.core.config import default_user_config
    from moto.core.exceptions import JsonRESTError
    from moto.moto_api._internal import models as api_models
    from moto.servicequotas import responses as quota_responses

    api_cls = _require(api_models, "MotoAPIBackend")
    function_cls = _require(lambda_models, "LambdaFunction")
    response_cls = _require(lambda_responses, "LambdaResponse")
    quota_response_cls = _require(quota_responses, "ServiceQuotasResponse")
    invalid_parameter = _require(lambda_exceptions, "InvalidParameterValueException")
    original_set_config = _require(api_cls, "set_config")
    original_reset = _require(api_cls, "reset")
    original_cfn_create = _require(function_cls, "create_from_cloudformation_json")
    lock = threading.Lock()

    def limit_of(account_id: str) -> tuple[int, bool]:
        switch = default_user_config.get(LAMBDA_CONCURRENCY_CONFIG_KEY, {})  # type: ignore[attr-defined]
        limit = switch.get("limits", {}).get(account_id, switch.get("default"))
        return (LAMBDA_DEFAULT_CONCURRENCY, False) if limit is None else (int(limit), True)

    def reserved_in(account_id: str, region: str) -> int:
        # moto's own choice of backend (Docker-less Lambda keeps its functions in another one)
        backend = lambda_utils.get_backend(account_id, region)
        return sum(int(f.reserved_concurrency or 0) for f in backend.list_functions())

    def set_config(self: Any, config: dict[str, Any]) -> None:
        original_set_config(self, config)
        if LAMBDA_CONCURRENCY_CONFIG_KEY in config:
            default_user_config[LAMBDA_CONCURRENCY_CONFIG_KEY] = config[LAMBDA_CONCURRENCY_CONFIG_KEY]  # type: ignore[literal-required]

    def reset(self: Any) -> None:
        default_user_config.pop(LAMBDA_CONCURRENCY_CONFIG_KEY, None)  # type: ignore[misc]
        original_reset(self)

    def get_account_settings(self: Any) -> str:
        limit, _ = limit_of(self.current_account)
        unreserved = limit - reserved_in(self.current_account, self.region)
        functions = list(lambda_utils.get_backend(self.current_account, self.region).list_functions())
        return json.dumps(
            {
                "AccountLimit": {
                    "TotalCodeSize": 80530636800,
                    "CodeSizeUnzipped": 262144000,
                    "CodeSizeZipped": 52428800,
                    "ConcurrentExecutions": limit,
                    "UnreservedConcurrentExecutions": unreserved,
                },
                "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": len(functions)},
            }
        )

    def cfn_create(cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any) -> Any:
        reserved = cloudformation_json.get("Properties", {}).get("ReservedConcurrentExecutions")
        limit, configured = limit_of(account_id)
        if configured and reserved is not None:
            if limit - reserved_in(account_id, region_name) - int(reserved) < LAMBDA_MIN_UNRESERVED:
                raise invalid_parameter(
                    "Specified ReservedConcurrentExecutions for function decreases account's "
                    f"UnreservedConcurrentExecution below its minimum value of [{LAMBDA_MIN_UNRESERVED}]."
                )
        return original_cfn_create.__func__(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    def requests_of(backend: Any) -> list[dict[str, Any]]:
        if not hasattr(backend, "tenantry_requests"):
            backend.tenantry_requests = []
        return backend.tenantry_requests  # type: ignore[no-any-return]

    def request_service_quota_increase(self: Any) -> str:
        params = json.loads(self.body)
        service, quota = params["ServiceCode"], params["QuotaCode"]
        with lock:
            requests = requests_of(self.backend)
            if any(r["ServiceCode"] == service and r["QuotaCode"] == quota and r["Status"] in ("PENDING", "CASE_OPENED") for r in requests):
                raise JsonRESTError("ResourceAlreadyExistsException", f"A request for {service}/{quota} is already open.")
            request = {
                "Id": uuid.uuid4().hex,
                "ServiceCode": service,
                "QuotaCode": quota,
                "DesiredValue": float(params["DesiredValue"]),
                "Status": "PENDING",
                "Created": time.time(),
                "Requester": json.dumps({"accountId": self.current_account}),
                "QuotaArn": f"arn:aws:servicequotas:{self.region}:{self.current_account}:{service}/{quota}",
                "GlobalQuota": False,
                "Unit": "None",
            }
            requests.append(request)
        return json.dumps({"RequestedQuota": request})

    def list_requested_service_quota_change_history_by_quota(self: Any) -> str:
        params = json.loads(self.body)
        with lock:
            listed = [
                r
                for r in requests_of(self.backend)
                if r["ServiceCode"] == params["ServiceCode"] and r["QuotaCode"] == params["QuotaCode"]
                and params.get("Status") in (None, r["Status"])
            ]
        return json.dumps({"RequestedQuotas": listed})

    api_cls.set_config = set_config
    api_cls.reset = reset
    function_cls.create_from_cloudformation_json = classmethod(cfn_create)
    response_cls.get_account_settings = get_account_settings
    lambda_urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = response_cls.dispatch
    quota_response_cls.request_service_quota_increase = request_service_quota_increase
    quota_response_cls.list_requested_service_quota_change_history_by_quota = list_requested_service_quota_change_history_by_quota


KMS_DEFAULT_PENDING_WINDOW_DAYS = 30  # AWS::KMS::Key PendingWindowInDays default


def patch_kms() -> None:
    """moto 5.2.5's KMS, as used by the silo stack (`infra/silo-stack.ts`):
    (a) `Key.create_from_cloudformation_json` stores `KeyPolicy` as the template's dict, so DescribeKey
        (`json.loads(dict)` -> TypeError) answers HTTP 500 -> kept as JSON text, as AWS does;
    (b) the same passes the template's `Tags` ({Key, Value}) to a tagger keyed TagKey/TagValue ->
        KeyError 'TagKey' and the stack fails -> mapped to KMS's TagKey/TagValue;
    (c) `Key.delete` (stack deletion, DeletionPolicy Delete) removed the key at once -> on AWS
        CloudFormation schedules its deletion with the template's `PendingWindowInDays` (default 30), and
        an already pending key counts as deleted; the key stays, PendingDeletion;
    (d) ScheduleKeyDeletion / CancelKeyDeletion / EnableKey / DisableKey indexed the key map with the raw
        `KeyId` parameter: a key ARN (which AWS accepts) raised KeyError -> HTTP 500. Key ARN accepted;
    (e) ScheduleKeyDeletion re-scheduled a key already pending deletion (AWS: KMSInvalidStateException),
        accepted a window outside 7-30 (AWS: ValidationException) and echoed the given KeyId (AWS: the key
        ARN, plus KeyState and PendingWindowInDays);
    (f) Encrypt / GenerateDataKey / Decrypt / ReEncrypt used a key in any state -> a disabled key raises
        DisabledException, a key pending deletion KMSInvalidStateException, as on AWS.
    """
    from moto.core.exceptions import JsonRESTError
    from moto.kms import models as kms_models
    from moto.kms import responses as kms_responses

    key_cls = _require(kms_models, "Key")
    backend_cls = _require(kms_models, "KmsBackend")
    backends = _require(kms_models, "kms_backends")
    response_cls = _require(kms_responses, "KmsResponse")

    def invalid_state(key: Any) -> JsonRESTError:
        return JsonRESTError("KMSInvalidStateException", f"{key.arn} is pending deletion.")

    # (a), (b) and the pending window (c) needs
    create_original = _require(key_cls, "create_from_cloudformation_json").__func__

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        properties = dict(cloudformation_json.get("Properties") or {})
        policy = properties.get("KeyPolicy")
        properties["KeyPolicy"] = json.dumps(policy) if isinstance(policy, (dict, list)) else policy
        properties["Tags"] = [
            {"TagKey": tag["Key"], "TagValue": tag.get("Value", "")} for tag in properties.get("Tags") or []
        ]
        key = create_original(
            cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name, **kwargs
        )
        key.tenantry_pending_window_days = int(
            properties.get("PendingWindowInDays") or KMS_DEFAULT_PENDING_WINDOW_DAYS
        )
        return key

    key_cls.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)

    # (c)
    _require(key_cls, "delete")

    def delete(self: Any, account_id: str, region_name: str) -> None:
        backend = backends[account_id][region_name]
        if self.id not in backend.keys or self.key_state == "PendingDeletion":
            return
        days = getattr(self, "tenantry_pending_window_days", KMS_DEFAULT_PENDING_WINDOW_DAYS)
        backend.schedule_key_deletion(self.id, days)

    key_cls.delete = delete

    # (d)
    for name in ("schedule_key_deletion", "cancel_key_deletion", "enable_key", "disable_key"):
        original = _require(backend_cls, name)

        def by_id_or_arn(self: Any, key_id: str, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            return _original(self, self.get_key_id(key_id), *args, **kwargs)

        setattr(backend_cls, name, by_id_or_arn)

    # (e)
    _require(response_cls, "schedule_key_deletion")

    def schedule_key_deletion(self: Any) -> str:
        from moto.kms.exceptions import ValidationException

        key_id = self._get_param("KeyId")
        days = self._get_param("PendingWindowInDays")
        days = 30 if days is None else int(days)
        self._validate_cmk_id(key_id)
        if not 7 <= days <= 30:
            raise ValidationException(
                f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy "
                "constraint: Member must have value between 7 and 30"
            )
        key = self.kms_backend.keys[self.kms_backend.get_key_id(key_id)]
        if key.key_state == "PendingDeletion":
            raise invalid_state(key)
        deletion_date = self.kms_backend.schedule_key_deletion(key.id, days)
        return json.dumps(
            {"KeyId": key.arn, "DeletionDate": deletion_date, "KeyState": key.key_state, "PendingWindowInDays": days}
        )

    response_cls.schedule_key_deletion = schedule_key_deletion

    # (f)
    def require_usable(key: Any) -> None:
        if key.key_state == "PendingDeletion":
            raise invalid_state(key)
        if key.key_state == "Disabled" or not key.enabled:
            raise JsonRESTError("DisabledException", f"{key.arn} is disabled.")

    encrypt_original = _require(backend_cls, "encrypt")

    def encrypt(self: Any, key_id: str, plaintext: bytes, encryption_context: dict[str, str]) -> Any:
        key = self.keys.get(self.any_id_to_key_id(key_id))
        if key is not None:  # an unknown key: moto's NotFoundException
            require_usable(key)
        return encrypt_original(self, key_id=key_id, plaintext=plaintext, encryption_context=encryption_context)

    backend_cls.encrypt = encrypt  # GenerateDataKey* and ReEncrypt go through encrypt

    decrypt_original = _require(backend_cls, "decrypt")

    def decrypt(self: Any, *args: Any, **kwargs: Any) -> Any:
        plaintext, arn = decrypt_original(self, *args, **kwargs)
        require_usable(self.keys[self.get_key_id(arn)])
        return plaintext, arn

    backend_cls.decrypt = decrypt


# --------------------------------------------------------------------------------------------------
# 5. Runtime configuration (same effect as POST /moto-api/config, applied before the first request)
# --------------------------------------------------------------------------------------------------
def apply_config() -> None:
    from moto.core.config import default_user_config

    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
    default_user_config.setdefault("lambda", {})["use_docker"] = False


def install_patches() -> JsonataWorker:
    if moto.__version__ != EXPECTED_MOTO_VERSION:
        LOG.warning("moto %s found, patches were verified against %s", moto.__version__, EXPECTED_MOTO_VERSION)
    worker = JsonataWorker(os.environ.get("TENANTRY_NODE", "node"), HERE / "jsonata-worker.mjs")
    patch_jsonata(worker)
    patch_aws_sdk_names()
    patch_lambda_routing()
    patch_eventbridge_targets()
    patch_kms()
    patch_dynamodb_transactions()
    patch_dynamodb_reads()
    patch_kinesis_put_record()
    patch_organizations_limits()
    patch_lambda_concurrency_quota()
    apply_config()
    return worker


def _exit_when_stdin_closes() -> None:
    """Attached mode (tests): the parent holds our stdin; when it goes away, so do we (no orphan servers)."""
    import signal

    def watch() -> None:
        try:
            while sys.stdin.buffer.read(65536):
                pass
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto server with Tenantry's patches")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("TENANTRY_LOCAL_PORT", "4566")))
    args = parser.parse_args(argv)

    # The Step Functions interpreter calls back into moto at http://localhost:$MOTO_PORT; moto.server.main
    # only sets it when unset, so an inherited MOTO_PORT would send every task to the wrong port.
    os.environ["MOTO_PORT"] = str(args.port)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # The interpreter logs every failing component with its inputs and error causes (which can carry
    # payload values); werkzeug logs every request. Keep the server log to real problems.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    install_patches()
    if os.environ.get("TENANTRY_EXIT_WITH_PARENT") == "1":
        _exit_when_stdin_closes()

    from moto.server import main as moto_main

    moto_main(["-H", args.host, "-p", str(args.port)])


if __name__ == "__main__":
    main()
