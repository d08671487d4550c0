"""`crowdveil PATH... -o OUTDIR` and `crowdveil inspect FILE...`: thin over `batch` and `reveal`."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from . import __version__, report
from .batch import DEFAULT_TIMEOUT_S, Job, output_folders, plan, run
from .detect import DEFAULT_THRESHOLD, DetectorSettings, resolve_device
from .detect.int8 import PRECISIONS
from .detect.runtime import DEVICES, DeviceError
from .errors import CrowdveilError, LoadError, os_reason, printable
from .formats import VIDEO_OUTPUT_SUFFIX, VIDEO_SUFFIXES
from .formats.iso import video_header
from .load import DEFAULT_MAX_PIXELS
from .messages import (
    DEFAULT_LANGUAGE,
    Message,
    available_languages,
    gettext_for,
    msg,
    ngettext,
    render,
    resolve_language,
    template,
    text,
)
from .pipeline import FileResult, Options, display_path, inspect_bytes
from .pool import JobProgress
from .progress import BatchClock, BatchProgress, ClipHint
from .redact import METHODS
from .reveal import Finding
from .write_clean import check_output_folder, remove_stale_temps

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# Only the command line names its options: the core says "exists", the CLI adds what to type.
_HINTS = {
    "write.exists": "cli.hint.overwrite",
    "write.not_ours": "cli.hint.or_overwrite",
    "batch.reviewed": "cli.hint.overwrite",
    "write.reviewed_other": "cli.hint.or_overwrite",
    "report.exists": "cli.hint.or_overwrite",
    "load.too_many_pixels": "cli.hint.max_megapixels",
    "load.file_too_big": "cli.hint.max_megapixels",
    "load.file_grew": "cli.hint.max_megapixels",
    "pool.timeout": "cli.hint.timeout",
}


def say(message: Message, lang: str) -> str:
    """A core message in words of `lang`, with the option that helps when there is one."""
    words = render(message, lang)
    hint = _HINTS.get(message.code)
    return text(hint, lang, detail=words) if hint else words


def _requested_language(argv: list[str]) -> str | None:
    """--lang's value, read before the parser exists: its help is in that language."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    return None


@contextlib.contextmanager
def _argparse_words(lang: str) -> Iterator[None]:
    """argparse's own words ("usage:", "show this help message and exit", its errors) from our
    catalogue, under the context "argparse": argparse looks them up through its module-level
    gettext functions, which stand in for the process's own while the command runs."""
    if lang == DEFAULT_LANGUAGE or not hasattr(argparse, "_"):  # a later argparse: English
        yield
        return
    catalogue = gettext_for(lang)
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = lambda words: catalogue.pgettext("argparse", words)  # type: ignore[attr-defined]
    argparse.ngettext = (  # type: ignore[attr-defined]
        lambda one, many, n: catalogue.npgettext("argparse", one, many, n))
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def _add_lang(p: argparse.ArgumentParser, lang: str) -> None:
    choices = available_languages()
    p.add_argument("--lang", choices=choices, metavar="LANG",
                   help=text("cli.help.lang", lang, choices=", ".join(choices)))


def _parser(lang: str = DEFAULT_LANGUAGE) -> argparse.ArgumentParser:
    def h(code: str, **values: object) -> str:
        return text(code, lang, **values)  # type: ignore[arg-type]

    p = argparse.ArgumentParser(prog="crowdveil", description=h("cli.description"))
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=h("cli.help.paths"))
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR",
                   help=h("cli.help.output"))
    p.add_argument("--method", choices=METHODS, default="fill", help=h("cli.help.method"))
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                   help=h("cli.help.threshold", value=DEFAULT_THRESHOLD))
    p.add_argument("--paranoid", action="store_true", help=h("cli.help.paranoid"))
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                   help=h("cli.help.jobs"))
    p.add_argument("--device", choices=DEVICES, default="auto", help=h("cli.help.device"))
    p.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help=h("cli.help.precision"))
    p.add_argument("--report", type=Path, metavar="FILE.json", help=h("cli.help.report"))
    p.add_argument("--report-details", action="store_true", help=h("cli.help.report_details"))
    p.add_argument("--rename", action="store_true", help=h("cli.help.rename"))
    p.add_argument("--overwrite", action="store_true", help=h("cli.help.overwrite"))
    p.add_argument("--keep-audio", action="store_true", help=h("cli.help.keep_audio"))
    p.add_argument("--no-resume", dest="resume", action="store_false",
                   help=h("cli.help.no_resume"))
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                   help=h("cli.help.timeout", value=DEFAULT_TIMEOUT_S))
    p.add_argument("--quality", type=int, default=90, help=h("cli.help.quality"))
    p.add_argument("--max-megapixels", type=float, default=DEFAULT_MAX_PIXELS / 1e6,
                   help=h("cli.help.max_megapixels"))
    p.add_argument("-q", "--quiet", action="store_true", help=h("cli.help.quiet"))
    _add_lang(p, lang)
    p.add_argument("--version", action="version", version=f"crowdveil {__version__}")
    return p


def _inspect_main(argv: list[str], lang: str) -> int:
    p = argparse.ArgumentParser(prog="crowdveil inspect",
                                description=text("cli.inspect.description", lang))
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    _add_lang(p, lang)
    args = p.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # decoders' warnings about damaged metadata: not for users
        return _inspect_files(args.files, lang)


def _inspect_files(files: list[Path], lang: str = DEFAULT_LANGUAGE) -> int:
    status = EXIT_OK
    for path in files:
        name = display_path(path)
        try:
            found = _inspect_one(path)
        except CrowdveilError as exc:
            print(printable(text("cli.line.file_error", lang, file=name,
                                 detail=render(exc.message, lang))), file=sys.stderr)
            status = EXIT_FAILED
            continue
        print(printable(text("cli.line.inspect_heading", lang, file=name)))
        for f in found:  # metadata text is the photo's, not ours: never let it drive the terminal
            print(printable(f"  - {render(f.message, lang)}"))
        if not found:
            print(f"  {text('cli.inspect.nothing', lang)}")
    return status


def _inspect_one(path: Path) -> list[Finding]:
    if path.suffix.lower() in VIDEO_SUFFIXES:
        from .formats import video  # PyAV only when a clip is inspected

        return video.findings(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError("load.cannot_read", reason=os_reason(exc)) from exc
    return inspect_bytes(data)


BAR_STEPS = 1000  # the batch bar's fill, in thousandths of the batch's work


def clip_hint(job: Job) -> ClipHint | None:
    """What the batch can know of a clip before it runs (None for a photo): its header's
    frame count and size, read without a decoder (formats.iso)."""
    if job.source.suffix.lower() not in VIDEO_SUFFIXES:
        return None
    try:
        size = job.source.stat().st_size
    except OSError:
        size = 0
    header = video_header(job.source)
    if header is None:
        return ClipHint(None, None, size)
    return ClipHint(header.frames, header.width * header.height or None, size)


class _Progress:
    """Two lines on a terminal, one line per error always: the batch (files, frames of its
    clips, its time left, a bar of its work) and what is being done now."""

    def __init__(self, jobs: list[Job], quiet: bool, lang: str = DEFAULT_LANGUAGE,
                 workers: int = 1) -> None:
        self.bar = None
        self.now_line = None
        self.lang = lang
        self.total = len(jobs)
        self.done = 0
        self.clock: BatchClock | None = None
        if not quiet and sys.stderr.isatty() and jobs:
            from tqdm import tqdm

            self.clock = BatchClock([(job.target_base, clip_hint(job)) for job in jobs],
                                    workers)
            self.bar = tqdm(total=BAR_STEPS, file=sys.stderr, dynamic_ncols=True,
                            bar_format=template("cli.progress.bar", lang), position=0,
                            desc=batch_progress(self.clock.now(), lang))
            # the models take ~20 s to load before the first photo is even searched
            self.now_line = tqdm(total=1, file=sys.stderr, dynamic_ncols=True,
                                 bar_format="{desc}", position=1, leave=False,
                                 desc=text("cli.progress.loading", lang, total=self.total))
            self._redraw()

    def workers(self, n: int) -> None:
        """How many jobs run at once (known once the device is chosen)."""
        if self.clock is not None:
            self.clock.workers = max(1, min(n, self.total))

    def __call__(self, result: FileResult) -> None:
        lang = self.lang
        if result.status == "error" and result.error_message is not None:
            self._say(text("cli.line.file_error", lang, file=result.input,
                           detail=say(result.error_message, lang)))
        elif result.status == "skipped" and result.error_message is not None:
            self._say(text("cli.line.skipped", lang, file=result.input,
                           detail=say(result.error_message, lang)))
        elif result.status == "skipped":  # why this one was kept (reviewed in the app)
            for note in result.note_messages:
                self._say(text("cli.line.skipped", lang, file=result.input,
                               detail=say(note, lang)))
        elif result.status == "ok":
            for note in result.note_messages:
                self._say(text("cli.line.note", lang, file=result.input,
                               detail=say(note, lang)))

    def started(self, job: Job) -> None:
        if self.clock is not None:
            self.clock.started(job.target_base)
            self._redraw()

    def ended(self, job: Job, result: FileResult) -> None:
        if self.clock is not None:
            self.clock.finished(job.target_base, result)

    def finished(self, result: FileResult) -> None:
        """A file of the batch is done: report it, and say which one is searched now."""
        self(result)
        self.done += 1
        if self.now_line is not None and self.done < self.total:
            self.now_line.set_description_str(text("cli.progress.searching", self.lang,
                                                   n=self.done + 1, total=self.total),
                                              refresh=False)
        self._redraw()

    def clip(self, job: Job, how: JobProgress) -> None:
        """A clip in a worker says how far it is: its name, pass, frame, speed, time left."""
        if self.clock is None or self.now_line is None:
            return
        self.clock.clip(job.target_base, how)
        self.now_line.set_description_str(printable(clip_progress(job, how, self.lang)),
                                          refresh=False)
        self._redraw()

    def _redraw(self) -> None:
        if self.clock is None or self.bar is None:
            return
        now = self.clock.now()
        self.bar.set_description_str(batch_progress(now, self.lang), refresh=False)
        self.bar.postfix = render(left_message(now.left_s), self.lang)
        self.bar.n = round(now.fraction * BAR_STEPS)
        self.bar.refresh()
        if self.now_line is not None:
            self.now_line.refresh()

    def _say(self, line: str) -> None:
        line = printable(line)
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr)

    def close(self) -> None:
        if self.now_line is not None:
            self.now_line.close()
        if self.bar is not None:
            self.bar.close()


def left_message(left_s: float | None) -> Message:
    """Time left in words: "3 min 05 s left", "12 s left", "time left not known yet"."""
    if left_s is None:
        return msg("cli.progress.left_unknown")
    if left_s >= 60:
        whole = int(round(left_s))
        return msg("cli.progress.left_minutes", minutes=whole // 60, seconds=whole % 60)
    return msg("cli.progress.left_seconds", seconds=int(math.ceil(left_s)))


def batch_progress(how: BatchProgress, lang: str = DEFAULT_LANGUAGE) -> str:
    """The batch in words: files done, and the frames of its clips if it has any."""
    files = ngettext("cli.progress.batch_files", how.files, lang, done=how.files_done)
    if not how.frames:
        return files
    code = "cli.progress.batch_frames" if how.frames_exact else "cli.progress.batch_frames_about"
    frames = ngettext(code, how.frames, lang, done=how.frames_done)
    return text("cli.progress.batch_both", lang, files=files, frames=frames)


def clip_progress(job: Job, how: JobProgress, lang: str = DEFAULT_LANGUAGE) -> str:
    """One line for a running clip. Under --rename the clip is named by its random output
    name: a screen or a shared terminal log must not give the input's name back."""
    if job.renamed:
        name = job.target_base.name + VIDEO_OUTPUT_SUFFIX
    else:
        name = display_path(job.source)
    left = left_message(how.left_s)
    fps = round(how.fps, 1)
    if how.stage == "write":
        return text("cli.progress.clip_writing", lang, file=name, n=how.done, total=how.total,
                    fps=fps, left=left)
    if how.total:
        return text("cli.progress.clip_searching", lang, file=name, n=how.done,
                    total=how.total, fps=fps, left=left)
    return text("cli.progress.clip_searching_open", lang, file=name, n=how.done, fps=fps)


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


def _summary(results: list[FileResult], lang: str = DEFAULT_LANGUAGE,
             device: dict[str, str] | None = None) -> str:
    ok = [r for r in results if r.status == "ok"]
    errors = sum(r.status == "error" for r in results)
    skipped = sum(r.status == "skipped" and r.error is None for r in results)
    unread = sum(r.status == "skipped" and r.error is not None for r in results)
    # a clip's regions are counted per frame, not listed
    faces = sum(r.video["regions"] if r.video else len(r.regions) for r in ok)
    meta = sum(len(r.metadata_found) for r in ok)
    parts = [ngettext("cli.summary.files", len(results), lang),
             ngettext("cli.summary.cleaned", len(ok), lang),
             ngettext("cli.summary.regions", faces, lang),
             ngettext("cli.summary.metadata", meta, lang)]
    if skipped:
        parts.append(ngettext("cli.summary.skipped", skipped, lang))
    if unread:
        parts.append(ngettext("cli.summary.not_read", unread, lang))
    parts.append(ngettext("cli.summary.errors", errors, lang))
    if device:
        parts.append(text("cli.summary.device", lang, **device))
    return text("cli.summary.line", lang,
                parts=text("cli.summary.separator", lang).join(parts))


def write_report(
    results: list[FileResult], path: Path, *, details: bool = False, hide_input: bool = False,
    overwrite: bool = False, lang: str = DEFAULT_LANGUAGE, device: dict[str, str] | None = None,
) -> None:
    """Thin over `report`: build the report and write it atomically."""
    body = report.build(results, details=details, hide_input=hide_input, lang=lang,
                        device=device)
    report.write(body, path, overwrite=overwrite)


def _error_line(lang: str, message: Message, where: str | None = None) -> str:
    """`crowdveil: error: [where: ]what`, on one line."""
    detail = say(message, lang)
    if where is not None:
        detail = text(where, lang, detail=detail)
    return printable(text("cli.line.error", lang, detail=detail))


def _check_report_path(args: argparse.Namespace, sources: list[Path], lang: str) -> str | None:
    """Why the report cannot go where asked (one line), checked before any photo is read."""
    try:
        report.check_target(args.report, inputs=[*args.paths, *sources],
                            writing=[args.output], overwrite=args.overwrite)
    except report.ReportPathError as exc:
        return _error_line(lang, exc.message, "cli.line.report_option")
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    lang = resolve_language(_requested_language(argv), os.environ)
    with _argparse_words(lang):
        if argv and argv[0] == "inspect":
            return _inspect_main(argv[1:], lang)
        return _main(argv, lang)


def _main(argv: list[str], lang: str) -> int:
    parser = _parser(lang)
    args = parser.parse_args(argv)
    if args.jobs < 1 or not 1 <= args.quality <= 100 or args.max_megapixels <= 0:
        parser.error(text("cli.bad.numbers", lang))
    if not 0.0 < args.threshold < 1.0:
        parser.error(text("cli.bad.threshold", lang))
    if not args.timeout >= 0:
        parser.error(text("cli.bad.timeout", lang))
    if args.report_details and not args.report:
        parser.error(text("cli.bad.details", lang))
    options = Options(method=args.method, quality=args.quality,
                      max_pixels=int(args.max_megapixels * 1e6), overwrite=args.overwrite,
                      keep_audio=args.keep_audio)
    batch = plan(args.paths, args.output, rename=args.rename, resume=args.resume)
    # Now, not after a long batch: an output folder that cannot take a file, or a report
    # that cannot be written, would otherwise be found once every photo has been searched.
    if args.report:
        refused = _check_report_path(args, [job.source for job in batch.jobs], lang)
        if refused:
            print(refused, file=sys.stderr)
            return EXIT_USAGE
    if batch.jobs:
        try:
            check_output_folder(args.output)
        except CrowdveilError as exc:
            print(_error_line(lang, exc.message, "cli.line.output"), file=sys.stderr)
            return EXIT_USAGE
    if args.report and args.report_details:  # even with -q: this file must not be published
        warning = render(report.details_warning(args.report), lang)
        print(printable(text("cli.line.warning", lang, detail=warning)), file=sys.stderr)
    remove_stale_temps(output_folders(batch.jobs))  # left by a run that was killed
    results = list(batch.problems)
    device: dict[str, str] | None = None
    progress = _Progress(batch.jobs, args.quiet, lang)
    for problem in batch.problems:
        progress(problem)
    try:
        # fewer photos than --jobs: the idle cores go to each worker's model instead
        workers = max(1, min(args.jobs, len(batch.jobs)))
        threads = max(1, (os.cpu_count() or 1) // workers)
        settings = DetectorSettings(threshold=args.threshold, paranoid=args.paranoid,
                                    threads=threads, device=args.device,
                                    precision=args.precision)
        jobs = args.jobs
        if batch.jobs:
            where = resolve_device(settings)
            settings = where.settings
            device = {"device": where.device, "precision": where.precision}
            for note in where.notes:
                print(printable(text("cli.line.warning", lang, detail=say(note, lang))),
                      file=sys.stderr)
            if where.device != "cpu":  # one accelerator: one worker feeds it, with every core
                jobs = 1
                settings = replace(settings, threads=os.cpu_count() or 1)
        progress.workers(jobs)
        with _sigterm_interrupts():
            results += run(batch.jobs, options, settings, jobs, on_result=progress.finished,
                           timeout=args.timeout or None, on_progress=progress.clip,
                           on_start=progress.started, on_end=progress.ended)
    except KeyboardInterrupt:
        progress.close()
        print(text("cli.interrupted", lang), file=sys.stderr)
        return 130
    except CrowdveilError as exc:
        progress.close()
        print(_error_line(lang, exc.message), file=sys.stderr)
        # --device gpu on a machine without one: the command line asked the impossible
        return EXIT_USAGE if isinstance(exc, DeviceError) else EXIT_FAILED
    progress.close()
    if not results:
        print(text("cli.no_photos", lang), file=sys.stderr)
        return EXIT_FAILED
    if args.report:
        try:
            write_report(results, args.report, details=args.report_details,
                         hide_input=args.rename, overwrite=args.overwrite, lang=lang,
                         device=device)
        except CrowdveilError as exc:
            print(_error_line(lang, exc.message, "cli.line.report"), file=sys.stderr)
            return EXIT_FAILED
    if not args.quiet:
        print(printable(_summary(results, lang, device)), file=sys.stderr)
    return EXIT_FAILED if any(r.status == "error" for r in results) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
