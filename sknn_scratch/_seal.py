"""A model file's seal: its length and SHA-256, checked before HDF5 parses a byte.

A model file starts with a 512-byte HDF5 *user block* (h5py's ``userblock_size``),
which HDF5 itself never reads. :func:`seal` writes a small text header there once
the HDF5 part is complete::

    SKNN-SCRATCH-MODEL\\n
    seal 1\\n
    length <bytes of the HDF5 part>\\n
    sha256 <64 hex digits over the HDF5 part>\\n
    (zero bytes up to offset 512)

:func:`verify` checks it with plain file reads, so a changed byte anywhere in the
file is refused with a ``ValueError`` before h5py could crash or hang on it.
Files written before the seal existed (HDF5 signature at offset 0) are reported
as unsealed, for the caller to read with a warning.

This module uses the standard library only (the NumPy-only runtime imports it).
"""

import hashlib
import os
import re
import stat

USERBLOCK_SIZE = 512
MAGIC = b"SKNN-SCRATCH-MODEL\n"
SEAL_VERSION = 1
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_HEADER = re.compile(rb"SKNN-SCRATCH-MODEL\nseal (\d{1,3})\nlength (\d{1,20})\n"
                     rb"sha256 ([0-9a-f]{64})\n\x00*")
_CHUNK = 1 << 16


def _digest(handle, length):
    """SHA-256 of the next ``length`` bytes of ``handle``, read through one 64 KiB
    buffer (checking a file takes no memory in proportion to its size)."""
    sha = hashlib.sha256()
    buffer = memoryview(bytearray(_CHUNK))
    remaining = length
    while remaining:
        n = handle.readinto(buffer[:min(_CHUNK, remaining)])
        if not n:
            break
        sha.update(buffer[:n])
        remaining -= n
    return sha.hexdigest(), length - remaining


def seal(path):
    """Write the header into the user block of the complete file ``path`` and
    flush it to disk."""
    with open(path, "r+b") as handle:
        if handle.read(USERBLOCK_SIZE) != bytes(USERBLOCK_SIZE):
            raise ValueError(f"'{path}' has no empty {USERBLOCK_SIZE}-byte user block "
                             "to seal.")
        length = os.fstat(handle.fileno()).st_size - USERBLOCK_SIZE
        digest, _ = _digest(handle, length)
        header = (MAGIC + f"seal {SEAL_VERSION}\nlength {length}\nsha256 {digest}\n"
                  .encode("ascii"))
        handle.seek(0)
        handle.write(header.ljust(USERBLOCK_SIZE, b"\x00"))
        handle.flush()
        os.fsync(handle.fileno())


def verify(path):
    """Check the seal of ``path`` with plain reads.

    Returns
    -------
    sealed : bool
        True when the seal is present and matches; False for a file written
        before seals existed (an HDF5 file with no user block).

    Raises
    ------
    ValueError
        If ``path`` is not a regular file (a FIFO, a device or a directory is
        refused before it is opened, so reading never blocks), the seal is
        damaged, the length differs (truncated or extended file) or the
        checksum does not match.
    """
    check_regular_file(path)
    with open(path, "rb") as handle:
        head = handle.read(USERBLOCK_SIZE)
        if head.startswith(HDF5_SIGNATURE):
            return False  # written before seals: no user block
        match = _HEADER.fullmatch(head)
        if match is None:
            if head.startswith(MAGIC[:8]) or _has_signature_at(handle, USERBLOCK_SIZE):
                raise ValueError(f"Cannot load model from '{path}': the model file is "
                                 "corrupted or was modified: its seal (the header that "
                                 "holds its length and checksum) is damaged.")
            raise ValueError(f"Cannot load model from '{path}': it is not an HDF5 file "
                             "(no HDF5 signature found).")
        if int(match.group(1)) != SEAL_VERSION:
            raise ValueError(f"Cannot load model from '{path}': seal version "
                             f"{int(match.group(1))} is not supported by this version "
                             f"(it reads seal version {SEAL_VERSION}).")
        length = int(match.group(2))
        actual = os.fstat(handle.fileno()).st_size - USERBLOCK_SIZE
        if actual != length:
            raise ValueError(f"Cannot load model from '{path}': the file is truncated "
                             f"or corrupt: {actual} bytes follow its header, its seal "
                             f"says {length}.")
        digest, _ = _digest(handle, length)
    if digest != match.group(3).decode("ascii"):
        raise ValueError(f"Cannot load model from '{path}': the model file is corrupted "
                         "or was modified: checksum mismatch (SHA-256).")
    return True


def check_regular_file(path):
    """``ValueError`` unless ``path`` names a regular file (symbolic links are
    followed); a missing file is left to ``open`` (``FileNotFoundError``)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise ValueError(f"Cannot load model from '{path}': it is not a regular file "
                         "(a directory, FIFO, socket or device cannot hold a model).")


def _has_signature_at(handle, offset):
    handle.seek(offset)
    return handle.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
