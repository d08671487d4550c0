"""Every sentence crowdveil says, in English, by code: the source of every translation.

A code is stable and language-independent (scripts read it in the report); its English words
are the msgid translators see in `locale/crowdveil.pot`. A pair is a plural: (one, many), the
count being the value `n`. Placeholders are named (`{file}`); numbers are written for the
reader's language by `messages.render`, so a template gives at most a precision (`{lat:.5f}`).

The "argparse" entries are not ours: they are the standard library's own help and error words,
looked up under that context when the command line speaks another language.
"""

from __future__ import annotations

Entry = str | tuple[str, str]

ENGLISH: dict[str, Entry] = {
    # -- the system's words, in plain words (errno -> code: errors.os_reason) --------------------
    "os.no_space": "the disk is full (no space left on device)",
    "os.read_only": "the disk or folder is read-only: nothing can be written there",
    "os.permission": "permission denied: your user account may not use this file or folder",
    "os.not_found": "no such file or folder",
    "os.is_folder": "it is a folder, not a file",
    "os.not_folder": "part of the path is a file, not a folder",
    "os.name_too_long": "the name is too long for this disk",
    "os.io": "the disk could not be read or written (input/output error: it may be failing)",
    "os.quota": "your disk quota is used up",
    "os.too_many_open": "too many files are open at once",
    "os.busy": "the file is in use by another program",
    "os.other": "system error: {text}",
    # -- errors.py --------------------------------------------------------------------------------
    "error.internal": "internal error: {type}: {detail}",
    "error.text": "{text}",
    "error.no_memory": "not enough memory to process this photo",
    # -- load.py ----------------------------------------------------------------------------------
    "load.too_many_pixels": "image is {width:d}x{height:d} = {pixels} pixels, over the limit "
    "of {limit}",
    "load.unsupported": "not a supported image (JPEG, PNG, WebP, TIFF, HEIC)",
    "load.no_pixels": "image has no pixels",
    "load.pixel_format": "unsupported pixel format {mode}",
    "load.no_memory": "not enough memory to decode this image",
    "load.truncated": "cannot decode image: the file is incomplete or damaged (it may not have "
    "finished copying)",
    "load.undecodable": "cannot decode image: {detail}",
    "load.not_regular": "not a regular file (a pipe, device or socket), not read",
    "load.file_too_big": "file is {size} bytes, over the limit of {limit} for this pixel limit",
    "load.file_grew": "file is over the limit of {limit} bytes",
    "load.cannot_read": "cannot read file: {reason}",
    "load.empty": "file is empty",
    # notes: what the user should know about an output that was written
    "note.icc_unusable": "embedded colour profile unusable; colours taken as sRGB",
    "note.images_unreadable": "the file holds more images that could not be read; only the "
    "first was kept",
    "note.first_of_more_than": "only the first of more than {n} images in the file was kept",
    "note.first_of": "only the first of {n} images in the file was kept",
    "note.hdr_kept": "HDR colours (PQ/HLG) were kept as stored, not tone-mapped",
    "note.colour_unusual": "unusual colour description; colours taken as sRGB",
    # -- verify.py: a written file failed the audit (and was deleted) -----------------------------
    "verify.jpeg_segment": "JPEG holds a {name} segment",
    "verify.jpeg_app0": "JPEG APP0 is not a bare JFIF header",
    "verify.jpeg_trailing": "{size} bytes follow the JPEG end marker",
    "verify.png_chunk": "PNG holds a {name} chunk",
    "verify.png_trailing": "{size} bytes follow the PNG IEND chunk",
    "verify.webp_chunk": "WebP holds a {name} chunk",
    "verify.webp_flags": "WebP VP8X flags 0x{flags} announce metadata or animation",
    "verify.webp_trailing": "{size} bytes follow the WebP RIFF data",
    "verify.malformed": "malformed {format} output: {detail}",
    "verify.undecodable": "output does not decode: {detail}",
    "verify.size": "output is {width:d}x{height:d}, expected {expected_width:d}x"
    "{expected_height:d}",
    "verify.leftovers": "output carries {keys}",
    "verify.hidden_colour": ("output carries colour under {n} fully transparent pixel",
                             "output carries colour under {n} fully transparent pixels"),
    "verify.cannot_reread": "cannot re-read output: {reason}",
    # -- write_clean.py, pipeline.py, record.py ---------------------------------------------------
    "write.too_large": "picture is {width:d}x{height:d}: too large for a {format} output "
    "(at most {max_side} pixels per side)",
    "write.encode": "cannot encode the cleaned picture as {format}: {detail}",
    "write.mkdir": "cannot create output folder {folder}: {reason}",
    "write.exists": "output exists, not overwritten: {file}",
    "write.cannot_write_in": "cannot write in {folder}: {reason}",
    "write.cannot_write": "cannot write {file}: {reason}",
    "write.not_a_folder": "{folder} is not a folder",
    "write.replaces_input": "output would replace the input: {file}",
    "write.not_ours": "output {file} exists and is not a file crowdveil wrote (changed since, "
    "or from elsewhere): delete it",
    "write.reviewed_other": "output {file} was reviewed in the app from other input bytes (the "
    "file changed since, or another file had its name): kept; review it again in the app",
    "record.outside": "output lies outside its folder: {file}",
    "record.cannot_write": "cannot write the resume record in {folder}: {reason}",
    "record.not_plain": "the resume record is not a plain file: {file}",
    # -- pool.py, batch.py, walk.py ---------------------------------------------------------------
    "pool.no_detector": "the face detector does not start: {detail}",
    "pool.died_loading": "a worker process died while loading the face detector ({how})",
    "pool.died": "worker process died on this photo ({how}); the file may be hostile or too "
    "large for memory",
    "pool.timeout": "stopped after the time limit of {seconds:g} s",
    "pool.killed_by": "killed by {signal}",
    "pool.exit_code": "exit code {code}",
    "batch.no_such_file": "no such file",
    "batch.not_read": "{reason}: not cleaned, not copied",
    "batch.reviewed": "its output {file} was reviewed in the app and is kept, not replaced "
    "by an automatic one",
    "walk.link_to_folder": "link to a folder, not followed",
    "walk.link_outside": "link leads outside the input folder or nowhere, not followed",
    "walk.not_a_photo": "not a photo type crowdveil reads ({kind})",
    "walk.no_extension": "no extension",
    # -- report.py --------------------------------------------------------------------------------
    "report.details_warning": "the report {file} lists everything that was removed (GPS "
    "positions, serial numbers, names, original file names and folders); keep it private: it "
    "must not be published or shared with the photos",
    "report.is_folder": "{file} is a folder: give a file name such as report.json",
    "report.inside_output": "{file} is inside the output folder {folder}, the folder people "
    "publish: write it somewhere else",
    "report.is_input": "{file} is one of the input photos: it would replace it",
    "report.exists": "{file} exists, not replaced: choose another name or delete it",
    "report.cannot_write": "cannot write the report in {folder}: {reason}",
    "report.not_a_folder": "cannot write the report in {folder}: not a folder",
    # -- reveal.py: what a photo gives away -------------------------------------------------------
    "finding.exif": "EXIF block ({size} bytes)",
    "finding.exif_unreadable": "EXIF block ({size} bytes, unreadable)",
    "finding.gps": "GPS position {lat:.5f} {ns}, {lon:.5f} {ew} (where the photo was taken)",
    "finding.gps_fields": ("GPS data ({n} field)", "GPS data ({n} fields)"),
    "exif.camera_make": "Camera make: {value}",
    "exif.camera_model": "Camera model: {value}",
    "exif.software": "Software: {value}",
    "exif.host_computer": "Host computer: {value}",
    "exif.body_serial": "Camera body serial number: {value}",
    "exif.lens_serial": "Lens serial number: {value}",
    "exif.lens_make": "Lens make: {value}",
    "exif.lens_model": "Lens model: {value}",
    "exif.camera_owner": "Camera owner: {value}",
    "exif.artist": "Artist: {value}",
    "exif.copyright": "Copyright: {value}",
    "exif.description": "Description: {value}",
    "exif.author": "Author (Windows): {value}",
    "exif.user_comment": "User comment: {value}",
    "exif.unique_id": "Unique image ID: {value}",
    "exif.date_modified": "Date modified: {value}",
    "exif.date_taken": "Date taken: {value}",
    "exif.date_digitised": "Date digitised: {value}",
    "date.time": "{year:d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}",
    "finding.maker_note": "Maker note: {size} bytes of vendor data (often serial numbers, "
    "settings, counters)",
    "finding.thumbnail": "Embedded thumbnail picture ({size} bytes; may show the scene before "
    "any edit or crop)",
    "finding.xmp": "XMP metadata ({size} bytes)",
    "finding.xmp_gps": "XMP metadata ({size} bytes including a GPS position)",
    "finding.iptc": "IPTC/Photoshop block ({size} bytes: captions, bylines, places)",
    "finding.comment": "JPEG comment: {value}",
    "finding.icc": "ICC colour profile (can name the device or software)",
    "finding.multi_picture": "Multi-picture index (more images in the file)",
    "finding.vendor": "{segment} vendor segment ({size} bytes)",
    "finding.trailer": "{size} bytes after the end of the picture",
    "finding.trailer_data": "{size} bytes after the end of the picture (motion photo, depth map "
    "or vendor data)",
    "finding.trailer_images": (
        "{size} bytes after the end of the picture (motion photo, depth map or vendor data, "
        "containing {n} more image)",
        "{size} bytes after the end of the picture (motion photo, depth map or vendor data, "
        "containing {n} more images)"),
    "finding.png_text": "PNG text field '{key}'",
    "finding.png_time": "PNG modification time",
    "finding.more_than_images": "more than {n} more images in the file",
    "finding.more_images": ("{n} more image in the file", "{n} more images in the file"),
    "finding.thumbnails": ("{n} embedded thumbnail picture", "{n} embedded thumbnail pictures"),
    "finding.damaged": "the file's structure is damaged, so its metadata could not all be read "
    "(container damaged: {detail})",
    "finding.unreadable": "metadata unreadable: {type}",
    # -- cli.py -----------------------------------------------------------------------------------
    "cli.description": "Destroy every face in photos and write new files without any metadata. "
    "Inputs are never modified. Use 'crowdveil inspect FILE...' to see what a photo reveals.",
    "cli.help.paths": "photos or folders",
    "cli.help.output": "folder for the cleaned copies (relative layout is kept)",
    "cli.help.method": "how faces are destroyed (all are irreversible; default: fill)",
    "cli.help.threshold": "detector confidence threshold; lower finds more (default {value})",
    "cli.help.paranoid": "lower thresholds and more scales: slower, finds more, more false "
    "alarms",
    "cli.help.jobs": "parallel workers (default: all cores)",
    "cli.help.device": "where faces are searched: auto (a GPU if the installed onnxruntime "
    "offers one that works, else the CPU), cpu, or gpu (fail if none works)",
    "cli.help.precision": "the face model's arithmetic: fp32, or int8 (about 1.6x faster on "
    "CPUs with VNNI, AMX or ARM dot product, fp32 elsewhere; hid a few more 20-40 px faces); "
    "auto is fp32",
    "cli.help.report": "write a JSON report (outside OUTDIR): per photo the output, its size, "
    "the regions destroyed and how many metadata items of each kind were removed, never their "
    "values; with --rename no input names",
    "cli.help.report_details": "also list the removed values (GPS position, serials, names) "
    "and the input paths in the report: a private file, never to be published",
    "cli.help.rename": "give outputs random names (camera names leak sequence and time)",
    "cli.help.overwrite": "replace existing output files",
    "cli.help.no_resume": "treat an existing output as an error instead of a finished photo "
    "(by default a rerun skips photos whose output exists and verifies clean)",
    "cli.help.timeout": "give up on a photo after this long, 0 for no limit (default {value:g})",
    "cli.help.quality": "JPEG/WebP quality (default 90)",
    "cli.help.max_megapixels": "refuse images larger than this (default 120)",
    "cli.help.quiet": "print errors only",
    "cli.help.lang": "language of messages: {choices} (default: the system's language)",
    "cli.inspect.description": "Print what photos give away, in plain words.",
    "cli.inspect.nothing": "nothing found beyond the pixels (faces in the picture are not "
    "checked here)",
    "cli.line.error": "crowdveil: error: {detail}",
    "cli.line.file_error": "crowdveil: error: {file}: {detail}",
    "cli.line.skipped": "crowdveil: skipped: {file}: {detail}",
    "cli.line.note": "crowdveil: note: {file}: {detail}",
    "cli.line.warning": "crowdveil: warning: {detail}",
    "cli.line.output": "-o: {detail}",
    "cli.line.report_option": "--report: {detail}",
    "cli.line.report": "report: {detail}",
    "cli.line.inspect_heading": "{file}:",
    "cli.hint.overwrite": "{detail} (use --overwrite)",
    "cli.hint.or_overwrite": "{detail}, or use --overwrite",
    "cli.hint.max_megapixels": "{detail} (see --max-megapixels)",
    "cli.hint.timeout": "{detail} (see --timeout)",
    "cli.bad.numbers": "--jobs must be >= 1, --quality 1..100, --max-megapixels > 0",
    "cli.bad.threshold": "--threshold must be between 0 and 1",
    "cli.bad.timeout": "--timeout must be >= 0 (0: no limit)",
    "cli.bad.details": "--report-details needs --report FILE.json",
    "cli.interrupted": "crowdveil: interrupted; finished files are complete, no partial file "
    "was left; run the same command again to finish the rest",
    "cli.no_photos": "crowdveil: error: no supported photos found (JPEG, PNG, WebP, TIFF, HEIC)",
    "cli.progress.loading": "loading the face models, then searching photo 1 of {total}",
    "cli.progress.searching": "searching photo {n} of {total}",
    # the batch's line: files done, then the frames of its clips ("about" when a clip's
    # count is estimated from its size); tqdm adds the bar and ", {time left}"
    "cli.progress.batch_files": ("{done} of {n} file", "{done} of {n} files"),
    "cli.progress.batch_frames": ("{done} of {n} frame", "{done} of {n} frames"),
    "cli.progress.batch_frames_about": ("{done} of about {n} frame", "{done} of about {n} frames"),
    "cli.progress.batch_both": "{files}, {frames}",
    # a clip while it runs: {left} is one of the three "left" entries below
    "cli.progress.clip_searching": "{file}: searching frame {n} of {total}, {fps:.1f} frames/s, "
    "{left}",
    "cli.progress.clip_searching_open": "{file}: searching frame {n}, {fps:.1f} frames/s",
    "cli.progress.clip_writing": "{file}: writing frame {n} of {total}, {fps:.1f} frames/s, "
    "{left}",
    "cli.progress.left_minutes": "{minutes:d} min {seconds:02d} s left",
    "cli.progress.left_seconds": "{seconds:d} s left",
    "cli.progress.left_unknown": "time left not known yet",
    # tqdm's own layout (its placeholders, not ours): {desc} is the batch's line above,
    # {postfix} ", " and its time left; French puts a space before the colon
    "cli.progress.bar": "{desc}: {percentage:3.0f}%|{bar}| [{elapsed}{postfix}]",
    "cli.summary.files": ("{n} file", "{n} files"),
    "cli.summary.cleaned": ("{n} cleaned", "{n} cleaned"),
    "cli.summary.regions": ("{n} face region destroyed", "{n} face regions destroyed"),
    "cli.summary.metadata": ("{n} metadata item removed", "{n} metadata items removed"),
    "cli.summary.skipped": (
        "{n} skipped (already cleaned by an earlier run; --overwrite redoes it)",
        "{n} skipped (already cleaned by an earlier run; --overwrite redoes them)"),
    "cli.summary.not_read": (
        "{n} not read (picture or video type crowdveil does not clean)",
        "{n} not read (picture or video types crowdveil does not clean)"),
    "cli.summary.errors": ("{n} error", "{n} errors"),
    "cli.summary.line": "crowdveil: {parts}",
    "cli.summary.separator": ", ",
    "cli.summary.device": "searched on {device} ({precision})",
    # -- detect/runtime.py and detect/int8.py ------------------------------------------------
    "device.fallback": "{device} could not be used ({reason}): faces are searched on the CPU",
    "device.no_gpu": "no GPU works here (tried: {tried}; this onnxruntime offers: {installed}): "
    "install the GPU build of onnxruntime for your system, or use --device cpu",
    "precision.int8_inexact": "the int8 face model differs from fp32 on this CPU (by {difference}, "
    "more than {bound}): fp32 is used",
    "precision.int8_cpu": "this CPU's int8 arithmetic can overflow (no VNNI, AMX or ARM dot "
    "product): fp32 is used",
    # -- gui/app.py and the app's report rows (the window's own strings are Qt's: gui/i18n) --
    "app.description": "Review and export photos with every face hidden.",
    "app.help.paths": "photos or folders to open",
    "app.help.timeout": "stop checking or exporting a photo after this long (default: "
    "{value:g}); 0 for no limit",
    "app.help.lang": "language of the window: {choices} (default: the Language menu's choice, "
    "else the system's)",
    "app.changed": "the file changed on disk since it was checked (rotated, edited or "
    "replaced); not exported: it is being checked again, review it before exporting",
    "app.foreign": "not exported: {file} exists and was not written by crowdveil; the copy "
    "there is not this photo's current version (Replace writes over it)",
    # -- formats/video.py: clips ------------------------------------------------------------------
    "video.unreadable": "cannot read video: {detail}",
    "video.no_video": "the file holds no video track",
    "video.no_frames": "the video holds no frame that can be decoded",
    "video.no_time_base": "cannot decode video: its picture track has no timing information, "
    "so its frames cannot be placed in time",
    "video.damaged": "cannot decode video: the file is incomplete or damaged (it may not have "
    "finished copying) ({detail})",
    "video.frames_missing": "cannot decode video: the file is incomplete or damaged (it may not "
    "have finished copying): {n} of its {expected} frames can be read",
    "video.changed": "the video changed while it was cleaned ({n} frames on the second reading, "
    "{expected} on the first): not written",
    "video.odd_matrix": "cannot clean video: its display matrix slants or scales the picture "
    "(only quarter turns and mirrors are understood), so its faces could be placed wrong",
    "video.odd_size": "video is {width:d}x{height:d}: an H.264 video cannot keep an odd width "
    "or height exactly, not cleaned",
    "video.bad_box": "written video has a damaged {box} box",
    "video.box": "written video holds a {box} box",
    "video.dated": "written video keeps a date in its {box} box",
    "video.kept_text": "written video still holds the input's metadata text",
    "video.streams": "written video holds other tracks than expected ({streams})",
    "video.metadata": "written video holds metadata tags",
    "video.size": "written video is {width:d}x{height:d}, not the input's size",
    "video.frames": "written video has {n} frames, not {expected}",
    "video.done": "{frames} frames, {faces} faces followed, {regions} regions destroyed, "
    "{fps:.1f} frames per second",
    "video.voices_kept": "the sound track was kept (--keep-audio): voices, names and chants "
    "in it can identify people",
    "video.finding_gps": "GPS position {position} (where the video was filmed)",
    "video.finding_device": "Device: {value}",
    "video.finding_date": "Date: {value}",
    "video.finding_text": "Tag {name}: {value}",
    "video.finding_audio": "Sound track ({seconds:.1f} s: voices, names, chants)",
    "video.finding_track": "Extra {kind} track (data, subtitles, chapters or a GPS track)",
    "cli.help.keep_audio": "keep the sound of videos (re-encoded, without metadata); by default "
    "it is removed, since voices identify people",
}

# argparse's own words (Python 3.10-3.12), translated under the context "argparse".
ARGPARSE: tuple[str, ...] = (
    "usage: ",
    "positional arguments",
    "options",
    "optional arguments",
    "show this help message and exit",
    "show program's version number and exit",
    "%(prog)s: error: %(message)s\n",
    "the following arguments are required: %s",
    "unrecognized arguments: %s",
    "argument %(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)",
    "invalid %(type)s value: %(value)r",
    "expected one argument",
    "expected at most one argument",
    "expected at least one argument",
    "ignored explicit argument %r",
    "not allowed with argument %s",
    "one of the arguments %s is required",
    "ambiguous option: %(option)s could match %(matches)s",
)
ARGPARSE_PLURAL: tuple[tuple[str, str], ...] = (
    ("expected %s argument", "expected %s arguments"),
)
