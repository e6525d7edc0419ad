"""boto3 against a dispersa gateway, one step per run: `python3 boto3_scenario.py STEP`.

Run by test/compat/boto3.test.ts with Debian's /usr/bin/python3 and python3-boto3. The endpoint, credentials, bucket
and a scratch directory come from the environment (DISPERSA_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
COMPAT_BUCKET, COMPAT_WORK_DIR). A step exits non-zero with a traceback when anything differs from what S3 does.
"""

import hashlib
import json
import os
import random
import sys
import urllib.error
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["DISPERSA_ENDPOINT"]
BUCKET = os.environ["COMPAT_BUCKET"]
WORK = os.environ["COMPAT_WORK_DIR"]
MIB = 1024 * 1024
AWKWARD_KEYS = json.loads(os.environ["COMPAT_AWKWARD_KEYS"])
LISTED_KEYS = ["list/a.txt", "list/b/c.txt", "list/b/d.txt", "list/e/f.txt", "list/g.txt", "listing-not.txt"]


def client(**config):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
    )


S3 = client(signature_version="s3v4")


def data(seed, length):
    return random.Random(seed).randbytes(length)


def expect_eq(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def expect_bytes(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: {len(actual)} bytes (md5 {hashlib.md5(actual).hexdigest()}) instead of {len(expected)} (md5 {hashlib.md5(expected).hexdigest()})")


def error_code(call):
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("expected an S3 error")


def fetch(url, method="GET", body=None):
    """The URL fetched as curl would: no credentials, just the HTTP request."""
    request = urllib.request.Request(url, method=method, data=body)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def keys_of(page):
    return [o["Key"] for o in page.get("Contents", [])]


def prefixes_of(page):
    return [p["Prefix"] for p in page.get("CommonPrefixes", [])]


def get_bytes(key, **extra):
    return S3.get_object(Bucket=BUCKET, Key=key, **extra)["Body"].read()


def step_create_bucket():
    S3.create_bucket(Bucket=BUCKET)
    S3.head_bucket(Bucket=BUCKET)
    expect_eq([b["Name"] for b in S3.list_buckets()["Buckets"]], [BUCKET], "ListBuckets")
    expect_eq(error_code(lambda: S3.create_bucket(Bucket=BUCKET)), ("BucketAlreadyOwnedByYou", 409), "creating it again")


def step_small():
    body = data(1, 1000)
    put = S3.put_object(Bucket=BUCKET, Key="small.bin", Body=body, ContentType="text/x-small", Metadata={"colour": "blue"}, ContentDisposition="attachment")
    expect_eq(put["ETag"], f'"{hashlib.md5(body).hexdigest()}"', "ETag")
    head = S3.head_object(Bucket=BUCKET, Key="small.bin")
    expect_eq((head["ContentLength"], head["ContentType"], head["Metadata"], head["ContentDisposition"]), (1000, "text/x-small", {"colour": "blue"}, "attachment"), "HeadObject")
    expect_bytes(get_bytes("small.bin"), body, "GetObject")
    expect_eq(error_code(lambda: S3.get_object(Bucket=BUCKET, Key="no-such-key")), ("NoSuchKey", 404), "missing key")


def step_big():
    body = data(2, 20 * MIB)
    up = os.path.join(WORK, "20mib.bin")
    with open(up, "wb") as f:
        f.write(body)
    # boto3's managed transfer switches to multipart above 8 MiB by itself: three 8 MiB parts here.
    S3.upload_file(up, BUCKET, "big/20mib.bin")
    head = S3.head_object(Bucket=BUCKET, Key="big/20mib.bin")
    expect_eq(head["ContentLength"], 20 * MIB, "size")
    if not (head["ETag"].endswith('-3"') and len(head["ETag"]) == 36):
        raise AssertionError(f"a three-part multipart ETag expected, got {head['ETag']}")
    down = os.path.join(WORK, "20mib.down")
    # Downloads above the threshold are parallel ranged GETs.
    S3.download_file(BUCKET, "big/20mib.bin", down, Config=TransferConfig(multipart_chunksize=5 * MIB))
    with open(down, "rb") as f:
        expect_bytes(f.read(), body, "downloaded 20 MiB")
    # A single PUT of the same size, and a single GET.
    S3.put_object(Bucket=BUCKET, Key="big/20mib-single.bin", Body=body)
    expect_bytes(get_bytes("big/20mib-single.bin"), body, "single-PUT 20 MiB")


def step_list():
    for key in LISTED_KEYS:
        S3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    for name, call in (("v1", S3.list_objects), ("v2", S3.list_objects_v2)):
        grouped = call(Bucket=BUCKET, Prefix="list/", Delimiter="/")
        expect_eq((keys_of(grouped), prefixes_of(grouped)), (["list/a.txt", "list/g.txt"], ["list/b/", "list/e/"]), f"{name} grouped")
        expect_eq(keys_of(call(Bucket=BUCKET, Prefix="list/b/")), ["list/b/c.txt", "list/b/d.txt"], f"{name} by prefix")
    # One entry per page: markers (v1) and continuation tokens (v2) followed by boto3's paginators.
    for name in ("list_objects", "list_objects_v2"):
        keys, prefixes, pages = [], [], 0
        for page in S3.get_paginator(name).paginate(Bucket=BUCKET, Prefix="list/", Delimiter="/", PaginationConfig={"PageSize": 1}):
            keys += keys_of(page)
            prefixes += prefixes_of(page)
            pages += 1
        expect_eq((keys, prefixes), (["list/a.txt", "list/g.txt"], ["list/b/", "list/e/"]), f"{name} paged")
        expect_eq(pages, 4, f"{name} page count")
    after = S3.list_objects_v2(Bucket=BUCKET, Prefix="list", StartAfter="list/e/f.txt")
    expect_eq(keys_of(after), ["list/g.txt", "listing-not.txt"], "StartAfter")
    encoded = S3.list_objects_v2(Bucket=BUCKET, Prefix="list/b/", EncodingType="url")
    expect_eq(keys_of(encoded), ["list/b/c.txt", "list/b/d.txt"], "EncodingType=url")


def step_range():
    body = data(1, 1000)
    got = S3.get_object(Bucket=BUCKET, Key="small.bin", Range="bytes=100-199")
    expect_eq((got["ContentRange"], got["ResponseMetadata"]["HTTPStatusCode"]), ("bytes 100-199/1000", 206), "range answer")
    expect_bytes(got["Body"].read(), body[100:200], "range bytes")
    expect_bytes(get_bytes("small.bin", Range="bytes=990-"), body[990:], "open range")
    expect_bytes(get_bytes("small.bin", Range="bytes=-5"), body[-5:], "suffix range")
    expect_eq(error_code(lambda: S3.get_object(Bucket=BUCKET, Key="small.bin", Range="bytes=2000-3000")), ("InvalidRange", 416), "unsatisfiable range")
    big = data(2, 20 * MIB)
    expect_bytes(get_bytes("big/20mib.bin", Range="bytes=8388000-8389000"), big[8388000:8389001], "range across a part boundary")


def step_presign():
    url = S3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "small.bin"}, ExpiresIn=300)
    if "X-Amz-Signature=" not in url:
        raise AssertionError(f"not a SigV4 URL: {url}")
    status, body = fetch(url)
    expect_eq(status, 200, f"presigned GET: {body[:300]!r}")
    expect_bytes(body, data(1, 1000), "presigned GET")
    put_url = S3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "presigned-put.bin"}, ExpiresIn=300)
    status, answer = fetch(put_url, method="PUT", body=b"uploaded through a pre-signed URL")
    expect_eq(status, 200, f"presigned PUT: {answer[:300]!r}")
    expect_bytes(get_bytes("presigned-put.bin"), b"uploaded through a pre-signed URL", "presigned PUT")


def step_presign_sigv2():
    # Without signature_version='s3v4', boto3 pre-signs with Signature Version 2.
    legacy = client()
    url = legacy.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "small.bin"}, ExpiresIn=300)
    if "AWSAccessKeyId=" not in url or "Signature=" not in url:
        raise AssertionError(f"expected boto3's default pre-signed URL to be SigV2: {url}")
    status, body = fetch(url)
    text = body.decode("utf-8", "replace")
    expect_eq(status in (400, 403), True, f"status of a SigV2 URL ({status}): {text}")
    if "<Code>InvalidRequest</Code>" not in text and "<Code>AccessDenied</Code>" not in text:
        raise AssertionError(f"expected InvalidRequest or AccessDenied: {text}")
    if "Signature Version 2" not in text and "SigV2" not in text:
        raise AssertionError(f"the error should say that SigV2 is not supported: {text}")
    print(json.dumps({"status": status, "error": text}))


def step_copy():
    S3.copy_object(Bucket=BUCKET, Key="copies/same-meta", CopySource={"Bucket": BUCKET, "Key": "small.bin"})
    head = S3.head_object(Bucket=BUCKET, Key="copies/same-meta")
    expect_eq((head["ContentType"], head["Metadata"]), ("text/x-small", {"colour": "blue"}), "COPY directive")
    expect_bytes(get_bytes("copies/same-meta"), data(1, 1000), "copied bytes")
    S3.copy_object(Bucket=BUCKET, Key="copies/new-meta", CopySource=f"{BUCKET}/small.bin", MetadataDirective="REPLACE", ContentType="application/x-new", Metadata={"colour": "red"})
    head = S3.head_object(Bucket=BUCKET, Key="copies/new-meta")
    expect_eq((head["ContentType"], head["Metadata"]), ("application/x-new", {"colour": "red"}), "REPLACE directive")
    # The managed copy of a 20 MiB object is a multipart upload of UploadPartCopy ranges.
    S3.copy({"Bucket": BUCKET, "Key": "big/20mib.bin"}, BUCKET, "copies/20mib.bin")
    expect_bytes(get_bytes("copies/20mib.bin"), data(2, 20 * MIB), "managed (multipart) copy")


def step_multi_delete():
    keys = [k for k in LISTED_KEYS if k.startswith("list/")] + ["list/never-existed"]
    answer = S3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys]})
    expect_eq(sorted(d["Key"] for d in answer.get("Deleted", [])), sorted(keys), "deleted keys")
    expect_eq(answer.get("Errors", []), [], "errors")
    expect_eq(keys_of(S3.list_objects_v2(Bucket=BUCKET, Prefix="list/")), [], "listing after delete")
    quiet = S3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "listing-not.txt"}], "Quiet": True})
    expect_eq(quiet.get("Deleted", []), [], "quiet mode")
    expect_eq(error_code(lambda: S3.head_object(Bucket=BUCKET, Key="listing-not.txt"))[1], 404, "deleted in quiet mode")


def step_awkward_keys():
    expected = {key: data(100 + i, 10 + i) for i, key in enumerate(AWKWARD_KEYS)}
    for key, body in expected.items():
        S3.put_object(Bucket=BUCKET, Key=key, Body=body)
    in_order = sorted(AWKWARD_KEYS, key=lambda k: k.encode())
    expect_eq(keys_of(S3.list_objects(Bucket=BUCKET, Prefix="awkward/")), in_order, "v1 listing")
    expect_eq(keys_of(S3.list_objects_v2(Bucket=BUCKET, Prefix="awkward/")), in_order, "v2 listing")
    expect_eq(prefixes_of(S3.list_objects_v2(Bucket=BUCKET, Prefix="awkward/double/", Delimiter="/")), ["awkward/double//"], "'//' as a common prefix")
    for key, body in expected.items():
        expect_bytes(get_bytes(key), body, key)
        status, fetched = fetch(S3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key}))
        expect_eq(status, 200, f"presigned GET of {key!r}: {fetched[:300]!r}")
        expect_bytes(fetched, body, f"presigned GET of {key!r}")
    S3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in AWKWARD_KEYS]})
    expect_eq(keys_of(S3.list_objects_v2(Bucket=BUCKET, Prefix="awkward/")), [], "after delete")


def step_delete_bucket():
    expect_eq(error_code(lambda: S3.delete_bucket(Bucket=BUCKET)), ("BucketNotEmpty", 409), "deleting a full bucket")
    for page in S3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        keys = keys_of(page)
        if keys:
            S3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
    S3.delete_bucket(Bucket=BUCKET)
    expect_eq(error_code(lambda: S3.head_bucket(Bucket=BUCKET))[1], 404, "HeadBucket after delete")
    expect_eq(S3.list_buckets()["Buckets"], [], "ListBuckets after delete")


STEPS = {name[len("step_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("step_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in STEPS:
        sys.exit(f"usage: boto3_scenario.py {{{'|'.join(STEPS)}}}")
    STEPS[sys.argv[1]]()
