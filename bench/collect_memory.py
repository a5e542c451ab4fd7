"""Peak memory of `sheetflow collect` on hostile and large mail (a benchmark, not a test).

    .venv/bin/python bench/collect_memory.py                  # all cases, about two minutes
    .venv/bin/python bench/collect_memory.py --json out.json  # also write the table as JSON

Each case builds its mail in a temporary folder, runs `python -m sheetflow collect` on it in a
subprocess, and reads that process's peak resident memory (ru_maxrss from wait4, POSIX only: on
Windows the times are printed without memory). The target is under 300 MB for each.

  messages-20000   an mbox of 20,000 messages, one in 20 with a small attachment (garbage collection on)
  mbox-270mb       an mbox holding a 270 MB message (refused: over the size cap) and a small one
  maildir-270mb    the same in a Maildir
  eml-29mb         one message just under the 30 MB cap, a 21 MB attachment (read and saved)
  zips-25mb        a 25 MB message of zips whose members unpack to far more than a message may hold
  subject-20000    a message whose Subject holds 20,000 encoded words (cut before it is decoded)
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path
from typing import Callable

try:  # POSIX only: Windows has no wait4
    import resource  # noqa: F401 - wait4's rusage is a resource.struct_rusage
    HAVE_RUSAGE = hasattr(os, "wait4")
except ImportError:
    HAVE_RUSAGE = False

TARGET_MB = 300
SENDER = "Ana Lopez <ana.lopez@prairiewb.example.org>"


def message(subject: str, attachments: list[tuple[str, bytes]] = (), n: int = 0) -> bytes:  # type: ignore[assignment]
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = SENDER, "convener@example.org", subject
    msg["Date"], msg["Message-ID"] = "Tue, 03 Mar 2026 09:15:00 -0600", f"<bench-{n}-{subject[:20]}@example.org>"
    msg.set_content("Attached.")
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def write_big_message(out, size: int, newline: bytes = b"\r\n") -> None:
    """Write a message of about ``size`` bytes to ``out``: one base64 attachment, a line at a time (this
    process stays small: a child inherits its peak memory when it starts)."""
    head = (f"From: {SENDER}\nTo: convener@example.org\nSubject: Huge\nMessage-ID: <huge@example.org>\n"
            "Date: Tue, 03 Mar 2026 09:15:00 -0600\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: application/octet-stream\n'
            'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="big.xlsx"\n\n')
    out.write(head.encode().replace(b"\n", newline))
    line = base64.b64encode(os.urandom(57)) + newline  # as mail programs write it
    block = line * 10_000
    for _ in range(size // len(block)):
        out.write(block)
    out.write(b"--b--" + newline)


def mbox_case(folder: Path) -> Path:
    path = folder / "mail.mbox"
    with open(path, "wb") as out:
        out.write(b"From MAILER-DAEMON Tue Mar  3 09:15:00 2026\n")
        write_big_message(out, 270 << 20, b"\n")
        out.write(b"\nFrom MAILER-DAEMON Tue Mar  3 09:16:00 2026\n" + message("small", [("a.xlsx", b"PK small")]))
    return path


def maildir_case(folder: Path) -> Path:
    root = folder / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    with open(root / "new" / "1.big", "wb") as out:
        write_big_message(out, 270 << 20)
    (root / "new" / "2.small").write_bytes(message("small", [("a.xlsx", b"PK small")]))
    return root


def many_case(folder: Path) -> Path:
    path = folder / "many.mbox"
    with open(path, "wb") as out:
        for n in range(20_000):
            attachments = [(f"{n}.csv", f"answer,{n}\n".encode())] if n % 20 == 0 else []
            out.write(b"From MAILER-DAEMON Tue Mar  3 09:15:00 2026\n" + message(f"Message {n}", attachments, n) + b"\n")
    return path


def near_cap_case(folder: Path) -> Path:
    path = folder / "near.eml"
    with open(path, "wb") as out:
        write_big_message(out, 29 << 20)
    return path


def compressible(size: int) -> bytes:
    return b"".join(os.urandom(64) + bytes(8128) for _ in range(size // 8192 + 1))[:size]


def zips_case(folder: Path) -> Path:
    zips: list[tuple[str, bytes]] = []
    total = 0
    while total < 18 << 20:  # 18 MB of zips: 25 MB once base64-encoded
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for i in range(20):
                archive.writestr(f"{len(zips)}-{i}.xlsx", compressible(5 << 20))
        zips.append((f"returns-{len(zips)}.zip", buffer.getvalue()))
        total += len(zips[-1][1])
    path = folder / "zips.eml"
    path.write_bytes(message("zips", zips))
    return path


def subject_case(folder: Path) -> Path:
    word = "=?utf-8?b?" + base64.b64encode("ü".encode()).decode() + "?="
    path = folder / "subject.eml"
    path.write_bytes(f"From: {SENDER}\r\nSubject: {' '.join([word] * 20_000)}\r\n\r\nbody\r\n".encode())
    return path


CASES: dict[str, Callable[[Path], Path]] = {
    "messages-20000": many_case, "mbox-270mb": mbox_case, "maildir-270mb": maildir_case,
    "eml-29mb": near_cap_case, "zips-25mb": zips_case, "subject-20000": subject_case,
}


def run(source: Path, inbox: Path) -> tuple[float, float | None, int, str]:
    """(seconds, peak MB or None, exit code, last line of output) of one collect."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "sheetflow", "collect", str(source), "-o", str(inbox)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read() if process.stdout else b""
    if HAVE_RUSAGE:
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        peak: float | None = usage.ru_maxrss / (1 << 20 if sys.platform == "darwin" else 1 << 10)
    else:
        process.wait()
        peak = None
    seconds = time.perf_counter() - started
    lines = output.decode("utf-8", "replace").strip().splitlines()
    return seconds, peak, process.returncode, lines[-1] if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="Write the results here too.")
    parser.add_argument("cases", nargs="*", help=f"Only these cases ({', '.join(CASES)}).")
    parser.add_argument("--build", nargs=2, metavar=("CASE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:  # in a process of its own: what it holds must not count in collect's peak
        print(CASES[args.build[0]](Path(args.build[1])))
        return
    results = []
    print(f"{'case':<16} {'peak MB':>8} {'seconds':>8}  exit  outcome")
    for name in args.cases or CASES:
        with tempfile.TemporaryDirectory(prefix="sheetflow-collect-bench-") as folder:
            built = subprocess.run([sys.executable, __file__, "--build", name, folder], check=True,
                                   capture_output=True, text=True)
            source = Path(built.stdout.strip())
            seconds, peak, code, last = run(source, Path(folder) / "inbox")
        verdict = "" if peak is None else ("ok" if peak < TARGET_MB else "OVER TARGET")
        print(f"{name:<16} {peak if peak is not None else float('nan'):>8.0f} {seconds:>8.1f}  {code:>4}  "
              f"{verdict} {last[:90]}")
        results.append({"case": name, "peak_mb": peak, "seconds": round(seconds, 2), "exit": code, "summary": last})
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
