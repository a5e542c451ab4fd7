"""Test helpers driving LibreOffice (soffice) and poppler (pdftoppm)."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
LO_FILL = Path(__file__).with_name("lo_fill.py")
FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML"}


def available() -> bool:
    """soffice, the system python's `uno` module and pdftoppm are all usable."""
    if not (shutil.which("soffice") and shutil.which("pdftoppm") and os.path.exists(SYSTEM_PYTHON)):
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


def _profile_arg(profile: str) -> str:
    return "-env:UserInstallation=" + Path(profile).as_uri()


def _private_env(folder: str) -> dict:
    """The environment for one office and its client: LibreOffice puts its IPC sockets (OSL_PIPE_*) and
    scratch files in TMPDIR, so each run gets its own, removed with ``folder``, and nothing is left behind."""
    own = Path(folder, "tmp")
    own.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(own)}


PIPE_FOLDER = Path("/tmp")  # LibreOffice (osl) puts its sockets here, whatever TMPDIR says


def office_pipes(profile, *accepted: str) -> list[Path]:
    """The sockets an office makes in /tmp and leaves there when it is stopped rather than closed: its
    single-instance pipe, named after the MD5 of its profile's URL (UTF-16, each byte in hex without
    leading zeros, as LibreOffice writes it), and each ``--accept`` pipe."""
    digest = hashlib.md5(Path(profile).as_uri().encode("utf-16-le")).digest()
    names = ("SingleOfficeIPC_" + "".join(format(byte, "x") for byte in digest), *accepted)
    return [PIPE_FOLDER / f"OSL_PIPE_{os.getuid()}_{name}" for name in names]


def _remove(paths) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def convert(src: Path, fmt: str, outdir: Path, timeout=180) -> Path:
    """`soffice --convert-to fmt` with a throw-away profile; returns the produced file."""
    src, outdir = Path(src).resolve(), Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    ext = fmt.split(":", 1)[0]
    out = outdir / f"{src.stem}.{ext}"
    if out == src:
        raise ValueError(f"converting {src} into its own directory would overwrite it")
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-convert-") as scratch:
        try:
            proc = subprocess.run(
                ["soffice", "--headless", "--norestore", _profile_arg(str(Path(scratch, "profile"))),
                 "--convert-to", FILTERS.get(fmt, fmt), "--outdir", str(outdir), str(src)],
                capture_output=True, text=True, timeout=timeout, env=_private_env(scratch))
        finally:
            _remove(office_pipes(Path(scratch, "profile")))
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"soffice --convert-to {fmt} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return out


def fill_by_name(src: Path, values: dict, dst: Path, timeout=180) -> Path:
    """Open src in LibreOffice, set the cells of workbook-level defined names, save dst as xlsx."""
    dst = Path(dst).resolve()
    dst.parent.mkdir(parents=True, exist_ok=True)
    pipe = f"sheetflow-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory(prefix="lo-fill-") as tmp:
        values_path = Path(tmp, "values.json")
        values_path.write_text(json.dumps(values), encoding="utf-8")
        env = _private_env(tmp)
        office = subprocess.Popen(
            ["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
             _profile_arg(str(Path(tmp, "profile"))), f"--accept=pipe,name={pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env)
        try:
            proc = subprocess.run([SYSTEM_PYTHON, str(LO_FILL), pipe, str(src), str(dst), str(values_path)],
                                  capture_output=True, text=True, timeout=timeout, env=env)
        finally:
            _terminate(office)
            _remove(office_pipes(Path(tmp, "profile"), pipe))
    if proc.returncode != 0:
        raise RuntimeError(f"lo_fill.py failed ({proc.returncode}):\n{proc.stderr}")
    return dst


def _terminate(office: subprocess.Popen) -> None:
    """Stop the office's whole process group (soffice wrapper -> oosplash -> soffice.bin)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(office.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            office.poll()  # reap the group leader
            try:
                os.killpg(office.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
    office.wait(10)


def pdf_to_png(pdf: Path, outdir: Path, first_page=1, last_page=1, dpi=80) -> list[Path]:
    """Render PDF pages to PNG with pdftoppm; returns the images in page order."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    prefix = outdir / Path(pdf).stem
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(first_page), "-l", str(last_page),
                    str(pdf), str(prefix)], check=True, capture_output=True)
    return sorted(outdir.glob(f"{prefix.name}-*.png"))
