"""Lake setup errors: a lake that cannot be written (permanent: retrying will not help)
told apart from one that is briefly unreachable (transient), and a write check made
before any Spotify request, so that a misconfigured lake fails a run at once instead of
after the snapshots were read (they could not be stored, and cannot be fetched again).
"""

from __future__ import annotations

import errno

from spotify_assets.lake.lake import Lake

# A hidden key (listings skip names starting with "."), outside every dt= folder.
WRITE_CHECK_KEY = "raw_playlist/.write-check"

_PERMANENT_ERRNOS = {
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space is left on the device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EINVAL: "the bucket name or key is invalid",
}


class LakeSetupError(Exception):
    """The lake at ``SPOTIFY_LAKE_URL`` cannot be written; the message says why and which
    setting to check. Permanent: the run fails without retries."""


def permanent_lake_error_reason(error: BaseException) -> str | None:
    """Words for a lake error that retrying will not fix (permission denied, no such bucket,
    missing AWS credentials or region, read-only or full disk), or None for one that may
    pass (S3 unreachable, throttled, 5xx). Looks through the error's causes (s3fs wraps
    botocore's errors)."""
    seen = 0
    while error is not None and seen < 8:
        reason = _reason(error)
        if reason:
            return reason
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def _reason(error: BaseException) -> str | None:
    name = type(error).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"):
        return "no usable AWS credentials were found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or give the process a role)"
    if name == "NoRegionError":
        return "no AWS region is set (set AWS_REGION or AWS_DEFAULT_REGION)"
    if isinstance(error, PermissionError):
        return f"permission denied ({_first_line(error)}); check the credentials' access to the lake"
    if isinstance(error, FileNotFoundError):
        return f"the bucket or folder does not exist ({_first_line(error)})"
    if isinstance(error, (NotADirectoryError, IsADirectoryError, FileExistsError)):
        return f"a path of the lake is a file where a folder is needed, or the reverse ({_first_line(error)})"
    if isinstance(error, OSError) and error.errno in _PERMANENT_ERRNOS:
        return _PERMANENT_ERRNOS[error.errno]
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


def check_lake_writable(lake: Lake) -> None:
    """Write (and, where allowed, delete) a small hidden object in the raw zone.

    Raises ``LakeSetupError`` naming ``SPOTIFY_LAKE_URL`` and the reason for a permanent
    error; other errors (S3 briefly unreachable) propagate unchanged. On S3 without
    ``s3:DeleteObject`` the hidden object stays (a few bytes, overwritten by the next check).
    """
    try:
        lake.write_bytes(WRITE_CHECK_KEY, b"spotify_assets write check\n")
    except Exception as error:
        reason = permanent_lake_error_reason(error)
        if reason is None:
            raise
        raise LakeSetupError(f"the lake at SPOTIFY_LAKE_URL={lake.location} cannot be written: {reason}") from error
    try:
        lake.fs.rm_file(lake.path(WRITE_CHECK_KEY))
    except Exception:
        pass  # e.g. no s3:DeleteObject in the IAM policy: harmless
