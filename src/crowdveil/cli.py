"""`crowdveil PATH... -o OUTDIR` and `crowdveil inspect FILE...`: thin over `batch` and `reveal`."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

from . import __version__, report
from .batch import DEFAULT_TIMEOUT_S, output_folders, plan, run
from .detect import DEFAULT_THRESHOLD, DetectorSettings
from .errors import CrowdveilError, printable
from .load import DEFAULT_MAX_PIXELS
from .pipeline import FileResult, Options, display_path, inspect_bytes
from .redact import METHODS
from .write_clean import remove_stale_temps

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="crowdveil",
        description="Destroy every face in photos and write new files without any metadata. "
        "Inputs are never modified. Use 'crowdveil inspect FILE...' to see what a photo reveals.",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="photos or folders")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR",
                   help="folder for the cleaned copies (relative layout is kept)")
    p.add_argument("--method", choices=METHODS, default="fill",
                   help="how faces are destroyed (all are irreversible; default: fill)")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                   help="detector confidence threshold; lower finds more "
                   f"(default {DEFAULT_THRESHOLD})")
    p.add_argument("--paranoid", action="store_true",
                   help="lower thresholds and more scales: slower, finds more, more false alarms")
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                   help="parallel workers (default: all cores)")
    p.add_argument("--report", type=Path, metavar="FILE.json",
                   help="write a JSON report (outside OUTDIR): per photo the output, its size, "
                   "the regions destroyed and how many metadata items of each kind were "
                   "removed, never their values; with --rename no input names")
    p.add_argument("--report-details", action="store_true",
                   help="also list the removed values (GPS position, serials, names) and the "
                   "input paths in the report: a private file, never to be published")
    p.add_argument("--rename", action="store_true",
                   help="give outputs random names (camera names leak sequence and time)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("--no-resume", dest="resume", action="store_false",
                   help="treat an existing output as an error instead of a finished photo "
                   "(by default a rerun skips photos whose output exists and verifies clean)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                   help="give up on a photo after this long, 0 for no limit "
                   f"(default {DEFAULT_TIMEOUT_S:g})")
    p.add_argument("--quality", type=int, default=90, help="JPEG/WebP quality (default 90)")
    p.add_argument("--max-megapixels", type=float, default=DEFAULT_MAX_PIXELS / 1e6,
                   help="refuse images larger than this (default 120)")
    p.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    p.add_argument("--version", action="version", version=f"crowdveil {__version__}")
    return p


def _inspect_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="crowdveil inspect",
                                description="Print what photos give away, in plain words.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    args = p.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # decoders' warnings about damaged metadata: not for users
        return _inspect_files(args.files)


def _inspect_files(files: list[Path]) -> int:
    status = EXIT_OK
    for path in files:
        name = display_path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            print(printable(f"crowdveil: {name}: cannot read file: {reason}"), file=sys.stderr)
            status = EXIT_FAILED
            continue
        found = inspect_bytes(data)
        print(printable(f"{name}:"))
        for f in found:  # metadata text is the photo's, not ours: never let it drive the terminal
            print(printable(f"  - {f.text}"))
        if not found:
            print("  nothing found beyond the pixels (faces in the picture are not checked here)")
    return status


class _Progress:
    """A progress bar on a terminal, one line per error always."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.bar = None
        if not quiet and sys.stderr.isatty() and total > 1:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="photo", file=sys.stderr, dynamic_ncols=True)

    def __call__(self, result: FileResult) -> None:
        if result.status == "error":
            self._say(f"crowdveil: error: {result.input}: {result.error}")
        elif result.status == "skipped" and result.error is not None:
            self._say(f"crowdveil: skipped: {result.input}: {result.error}")
        elif result.status == "ok":
            for note in result.notes:
                self._say(f"crowdveil: note: {result.input}: {note}")
        if self.bar is not None:
            self.bar.update(1)

    def _say(self, text: str) -> None:
        line = printable(text)
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """`kill PID` stops a batch the way Ctrl-C does: workers stopped, temporary files removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _summary(results: list[FileResult]) -> str:
    ok = [r for r in results if r.status == "ok"]
    errors = sum(r.status == "error" for r in results)
    skipped = sum(r.status == "skipped" and r.error is None for r in results)
    unread = sum(r.status == "skipped" and r.error is not None for r in results)
    faces = sum(len(r.regions) for r in ok)
    meta = sum(len(r.metadata_found) for r in ok)
    parts = [f"{len(results)} file(s)", f"{len(ok)} cleaned", f"{faces} face region(s) destroyed",
             f"{meta} metadata item(s) removed"]
    if skipped:
        parts.append(f"{skipped} skipped (already cleaned by an earlier run; "
                     "--overwrite redoes them)")
    if unread:
        parts.append(f"{unread} not read (picture or video type crowdveil does not clean)")
    parts.append(f"{errors} error(s)")
    return "crowdveil: " + ", ".join(parts)


def write_report(
    results: list[FileResult], path: Path, *, details: bool = False, hide_input: bool = False,
    overwrite: bool = False,
) -> None:
    """Thin over `report`: build the report and write it atomically."""
    body = report.build(results, details=details, hide_input=hide_input)
    report.write(body, path, overwrite=overwrite)


def _check_report_path(args: argparse.Namespace, sources: list[Path]) -> str | None:
    """Why the report cannot go where asked (one line), checked before any photo is read."""
    try:
        report.check_target(args.report, inputs=[*args.paths, *sources],
                            writing=[args.output], overwrite=args.overwrite)
    except report.ReportPathError as exc:
        return printable(f"crowdveil: error: --report: {exc}")
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "inspect":
        return _inspect_main(argv[1:])
    args = _parser().parse_args(argv)
    if args.jobs < 1 or not 1 <= args.quality <= 100 or args.max_megapixels <= 0:
        _parser().error("--jobs must be >= 1, --quality 1..100, --max-megapixels > 0")
    if not 0.0 < args.threshold < 1.0:
        _parser().error("--threshold must be between 0 and 1")
    if not args.timeout >= 0:
        _parser().error("--timeout must be >= 0 (0: no limit)")
    if args.report_details and not args.report:
        _parser().error("--report-details needs --report FILE.json")
    options = Options(method=args.method, quality=args.quality,
                      max_pixels=int(args.max_megapixels * 1e6), overwrite=args.overwrite)
    batch = plan(args.paths, args.output, rename=args.rename, resume=args.resume)
    if args.report:  # now, not after a long batch whose summary would then be lost
        refused = _check_report_path(args, [job.source for job in batch.jobs])
        if refused:
            print(refused, file=sys.stderr)
            return EXIT_USAGE
        if args.report_details:  # even with -q: this file must not end up published
            print(printable(report.details_warning(args.report)), file=sys.stderr)
    remove_stale_temps(output_folders(batch.jobs))  # left by a run that was killed
    results = list(batch.problems)
    progress = _Progress(len(batch.jobs), args.quiet)
    for problem in batch.problems:
        progress(problem)
    try:
        # fewer photos than --jobs: the idle cores go to each worker's model instead
        workers = max(1, min(args.jobs, len(batch.jobs)))
        threads = max(1, (os.cpu_count() or 1) // workers)
        settings = DetectorSettings(threshold=args.threshold, paranoid=args.paranoid,
                                    threads=threads)
        with _sigterm_interrupts():
            results += run(batch.jobs, options, settings, args.jobs, on_result=progress,
                           timeout=args.timeout or None)
    except KeyboardInterrupt:
        progress.close()
        print("crowdveil: interrupted; finished files are complete, no partial file was left; "
              "run the same command again to finish the rest", file=sys.stderr)
        return 130
    except CrowdveilError as exc:
        progress.close()
        print(printable(f"crowdveil: error: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    progress.close()
    if not results:
        print("crowdveil: error: no supported photos found (JPEG, PNG, WebP, TIFF, HEIC)",
              file=sys.stderr)
        return EXIT_FAILED
    if args.report:
        try:
            write_report(results, args.report, details=args.report_details,
                         hide_input=args.rename, overwrite=args.overwrite)
        except CrowdveilError as exc:
            print(printable(f"crowdveil: error: report: {exc}"), file=sys.stderr)
            return EXIT_FAILED
    if not args.quiet:
        print(_summary(results), file=sys.stderr)
    return EXIT_FAILED if any(r.status == "error" for r in results) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
