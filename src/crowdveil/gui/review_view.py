"""The review view: one photo at full quality, zoom and pan, regions drawn and edited by mouse.

The view owns no region data: it draws `PhotoItem.regions` and turns mouse gestures into
`RegionEditor` calls, so every change goes through the photo's undo stack.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
)

from ..regions import Region
from .edits import RegionEditor
from .photo_list import PhotoItem

HANDLE_PX = 10  # corner handle size on screen, whatever the zoom
MIN_SIDE = 4  # a drag smaller than this (image pixels) is a click, not a region
DETECTED = QColor(255, 196, 0)
MANUAL = QColor(0, 200, 255)
HALO = QColor(0, 0, 0, 170)
FILL_ALPHA = 110  # see-through: the face stays visible, so the user can judge the cover
MAX_ZOOM = 32.0
REGION_ZOOM_MAX = 4.0  # zooming to a tiny region stops at 4 screen pixels per image pixel


class RegionItem(QGraphicsItem):
    """One region: an outline (ellipse or box) the user can move, and resize by its corners."""

    def __init__(self, view: ReviewView, region: Region) -> None:
        super().__init__()
        self._view = view
        self._region = region
        self._w = float(region.w)
        self._h = float(region.h)
        self._handle = 4.0
        self._resize_anchor: QPointF | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.set_region(region)

    # geometry ---------------------------------------------------------------------------
    def set_region(self, region: Region) -> None:
        self.prepareGeometryChange()
        self._region = region
        self._w, self._h = float(region.w), float(region.h)
        self.setPos(region.x, region.y)
        self.update()

    def region(self) -> Region:
        """The region as currently drawn (after any drag), in whole image pixels."""
        r = self._region
        x, y = round(self.pos().x()), round(self.pos().y())
        return Region(x, y, max(1, round(self._w)), max(1, round(self._h)), r.shape, r.score,
                      r.source)

    def set_handle(self, size: float) -> None:
        self.prepareGeometryChange()
        self._handle = size

    def boundingRect(self) -> QRectF:
        m = self._handle
        return QRectF(-m, -m, self._w + 2 * m, self._h + 2 * m)

    def _corners(self) -> list[QPointF]:
        return [QPointF(0, 0), QPointF(self._w, 0), QPointF(0, self._h), QPointF(self._w, self._h)]

    def _corner_at(self, pos: QPointF) -> int | None:
        for i, c in enumerate(self._corners()):
            if abs(pos.x() - c.x()) <= self._handle and abs(pos.y() - c.y()) <= self._handle:
                return i
        return None

    # painting ---------------------------------------------------------------------------
    def paint(self, painter: QPainter, option, widget=None) -> None:
        rect = QRectF(0, 0, self._w, self._h)
        colour = MANUAL if self._region.source == "manual" else DETECTED
        selected = self.isSelected()
        if not self._view.outlines and not self._view.preview:
            # What will be destroyed, as a see-through fill: thousands of outlines on a
            # crowd are a sea of lines, a fill reads as "covered" at any zoom.
            fill = QColor(colour)
            fill.setAlpha(FILL_ALPHA)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            if self._region.shape == "ellipse":
                painter.drawEllipse(rect)
            else:
                painter.drawRect(rect)
            if not selected:
                return
        elif not self._view.outlines and not selected:
            return  # comparing: the result shows what is destroyed, nothing drawn over it
        widths = (4.5, 2.5) if selected else (3.5, 1.5)
        for pen_colour, width in ((HALO, widths[0]), (colour, widths[1])):
            pen = QPen(pen_colour, width)
            pen.setCosmetic(True)  # same thickness at any zoom
            if self._view.preview and pen_colour != HALO:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            if self._region.shape == "ellipse":
                painter.drawEllipse(rect)
            else:
                painter.drawRect(rect)
        if selected:
            pen = QPen(HALO, 1)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(colour)
            h = self._handle
            for c in self._corners():
                painter.drawRect(QRectF(c.x() - h / 2, c.y() - h / 2, h, h))

    # mouse ------------------------------------------------------------------------------
    def hoverMoveEvent(self, event) -> None:
        corner = self._corner_at(event.pos()) if self.isSelected() else None
        if corner is None:
            self.setCursor(Qt.CursorShape.SizeAllCursor)
        elif corner in (0, 3):
            self.setCursor(Qt.CursorShape.SizeFDiagCursor)
        else:
            self.setCursor(Qt.CursorShape.SizeBDiagCursor)
        super().hoverMoveEvent(event)

    def mousePressEvent(self, event) -> None:
        corner = self._corner_at(event.pos()) if self.isSelected() else None
        if corner is not None and event.button() == Qt.MouseButton.LeftButton:
            opposite = self._corners()[3 - corner]
            self._resize_anchor = self.mapToScene(opposite)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._resize_anchor is None:
            super().mouseMoveEvent(event)
            return
        rect = QRectF(self._resize_anchor, self._view.clamp(event.scenePos())).normalized()
        self.prepareGeometryChange()
        self.setPos(rect.topLeft())
        self._w, self._h = max(1.0, rect.width()), max(1.0, rect.height())
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        resized = self._resize_anchor is not None
        self._resize_anchor = None
        super().mouseReleaseEvent(event)
        self._view.commit_geometry(
            QCoreApplication.translate("ReviewView", "resizing a region") if resized
            else QCoreApplication.translate("ReviewView", "moving a region"))


class ReviewView(QGraphicsView):
    """Shows one photo; the wheel zooms, middle button or Space+drag pans, left drag adds."""

    zoom_changed = Signal(float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        # a neutral grey around the photo, as photo tools use, in light and dark themes alike
        # (no text is drawn on it but the banner, which brings its own contrast)
        self.setBackgroundBrush(QColor(58, 58, 60))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # drops belong to the window, wherever they land
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self._pixmap_item = QGraphicsPixmapItem()
        self._pixmap_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self._pixmap_item)
        self._items: list[RegionItem] = []
        self._editor: RegionEditor | None = None
        self._fitted = True
        self._creating: tuple[QPointF, QGraphicsRectItem] | None = None
        self._pan_from: QPointF | None = None
        self._space = False
        self.preview = False
        self.outlines = False  # outlines instead of the see-through fill
        # While comparing, a banner says the picture is the result, not the photo; in the
        # tooltip colours of the theme, so it reads on the grey in light and dark themes.
        self.banner = QLabel(self)
        self.banner.setText(QCoreApplication.translate("ReviewView",
                                                       "Result: as it will be exported"))
        self.banner.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.banner.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.banner.setAutoFillBackground(True)
        self.banner.setMargin(6)
        self.banner.move(8, 8)
        self.banner.adjustSize()
        self.banner.hide()

    # content ----------------------------------------------------------------------------
    @property
    def photo(self) -> PhotoItem | None:
        return self._editor.item if self._editor else None

    def show_photo(self, editor: RegionEditor | None, pixmap: QPixmap | None) -> None:
        """Show a photo (or nothing) and fit it in the window."""
        self._editor = editor
        self._pixmap_item.setPixmap(pixmap if pixmap is not None else QPixmap())
        rect = self._pixmap_item.boundingRect()
        self.scene().setSceneRect(rect)
        for item in self._items:
            self.scene().removeItem(item)
        self._items = []
        self.sync()
        self.fit()

    def set_pixmap(self, pixmap: QPixmap) -> None:
        """Swap the picture (original or redacted preview) without touching zoom or regions."""
        self._pixmap_item.setPixmap(pixmap)
        self.banner.setVisible(self.preview and self._editor is not None)
        for item in self._items:
            item.update()

    def sync(self) -> None:
        """Make the drawn outlines match the photo's current region list."""
        regions = self._editor.item.regions if self._editor else []
        if len(regions) != len(self._items):
            self.scene().clearSelection()
        while len(self._items) > len(regions):
            self.scene().removeItem(self._items.pop())
        while len(self._items) < len(regions):
            item = RegionItem(self, regions[len(self._items)])
            self.scene().addItem(item)
            self._items.append(item)
        for item, region in zip(self._items, regions, strict=True):
            item.set_region(region)
        self._update_handles()

    def region_items(self) -> list[RegionItem]:
        return list(self._items)

    # editing ----------------------------------------------------------------------------
    def clamp(self, p: QPointF) -> QPointF:
        r = self.sceneRect()
        return QPointF(min(max(p.x(), r.left()), r.right()), min(max(p.y(), r.top()), r.bottom()))

    def commit_geometry(self, text: str) -> None:
        if self._editor is None:
            return
        # one undo step even when several selected regions moved together
        self._editor.set_all([item.region() for item in self._items], text)

    def delete_selected(self) -> bool:
        if self._editor is None:
            return False
        chosen = [i for i, item in enumerate(self._items) if item.isSelected()]
        self._editor.remove(chosen)
        return bool(chosen)

    def toggle_shape_selected(self) -> None:
        if self._editor is None:
            return
        for i, item in enumerate(self._items):
            if item.isSelected():
                r = item.region()
                self._editor.replace(i, Region(r.x, r.y, r.w, r.h,
                                               "box" if r.shape == "ellipse" else "ellipse",
                                               r.score, r.source),
                                     QCoreApplication.translate("ReviewView",
                                                                "changing a region's shape"))

    def set_outlines(self, on: bool) -> None:
        self.outlines = on
        for item in self._items:
            item.update()

    def selected_index(self) -> int | None:
        for i, item in enumerate(self._items):
            if item.isSelected():
                return i
        return None

    def region_order(self) -> list[int]:
        """The regions from largest to smallest: the faces anyone could recognise first."""
        regions = self._editor.item.regions if self._editor else []
        return sorted(range(len(regions)), key=lambda i: (-regions[i].w * regions[i].h,
                                                         regions[i].y, regions[i].x))

    def step_region(self, step: int) -> int | None:
        """Select the next (step 1) or previous (-1) region in `region_order` and zoom to it;
        the index of the region selected, or None when there is none."""
        order = self.region_order()
        if not order:
            return None
        now = self.selected_index()
        if now is None:
            chosen = order[0] if step > 0 else order[-1]
        else:
            chosen = order[(order.index(now) + step) % len(order)]
        self.scene().clearSelection()
        self._items[chosen].setSelected(True)
        self.zoom_to(chosen)
        return chosen

    def add_region_here(self) -> None:
        """A new box in the middle of what is on screen, selected: drawing without a mouse
        (the arrow keys then move it, Alt+arrows resize it)."""
        if self._editor is None:
            return
        shown = self.mapToScene(self.viewport().rect()).boundingRect() & self.sceneRect()
        if shown.isEmpty():
            return
        side = max(MIN_SIDE, round(min(shown.width(), shown.height()) / 5))
        centre = shown.center()
        self._editor.add(Region(round(centre.x() - side / 2), round(centre.y() - side / 2),
                                side, side, "box", 1.0, "manual"))
        self.scene().clearSelection()
        self._items[-1].setSelected(True)

    def nudge_selected(self, dx: int, dy: int, grow: bool) -> bool:
        """Move (or with `grow`, resize) the selected regions by screen pixels; one undo step.
        False when nothing is selected."""
        chosen = [i for i, item in enumerate(self._items) if item.isSelected()]
        if self._editor is None or not chosen:
            return False
        step = 1.0 / max(self.scale_factor(), 1e-6)  # one screen pixel, in image pixels
        ddx, ddy = round(dx * max(1.0, step)), round(dy * max(1.0, step))
        bounds = self.sceneRect()
        after = list(self._editor.item.regions)
        for i in chosen:
            r = after[i]
            if grow:
                w = int(min(max(MIN_SIDE, r.w + ddx), bounds.width() - r.x))
                h = int(min(max(MIN_SIDE, r.h + ddy), bounds.height() - r.y))
                after[i] = Region(r.x, r.y, w, h, r.shape, r.score, r.source)
            else:
                x = int(min(max(0, r.x + ddx), bounds.width() - r.w))
                y = int(min(max(0, r.y + ddy), bounds.height() - r.h))
                after[i] = Region(x, y, r.w, r.h, r.shape, r.score, r.source)
        self._editor.set_all(after, QCoreApplication.translate(
            "ReviewView", "resizing a region") if grow else QCoreApplication.translate(
            "ReviewView", "moving a region"))
        for i in chosen:
            self._items[i].setSelected(True)
        return True

    def zoom_to_selected(self) -> None:
        index = self.selected_index()
        if index is not None:
            self.zoom_to(index)

    def zoom_to(self, index: int) -> None:
        """Show this region large, centred, with the scene around it for context."""
        r = self._items[index].region()
        rect = QRectF(r.x, r.y, r.w, r.h)
        margin = max(r.w, r.h) * 1.5
        area = rect.adjusted(-margin, -margin, margin, margin)
        vp = self.viewport().rect()
        scale = min(vp.width() / area.width(), vp.height() / area.height())
        scale = max(min(scale, REGION_ZOOM_MAX), self._fit_scale())
        now = self.scale_factor()
        self._fitted = False
        self.scale(scale / now, scale / now)
        self.centerOn(rect.center())
        self._update_handles()

    # zoom -------------------------------------------------------------------------------
    def scale_factor(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        self._fitted = True
        if not self._pixmap_item.pixmap().isNull():
            self.fitInView(self._pixmap_item, Qt.AspectRatioMode.KeepAspectRatio)
        self._update_handles()

    def zoom_by(self, factor: float) -> None:
        now = self.scale_factor()
        target = min(MAX_ZOOM, max(self._fit_scale() / 4, now * factor))
        if target != now:
            self._fitted = False
            self.scale(target / now, target / now)
            self._update_handles()

    def actual_size(self) -> None:
        self._fitted = False
        self.resetTransform()
        self._update_handles()

    def _fit_scale(self) -> float:
        rect = self.sceneRect()
        if rect.isEmpty():
            return 1.0
        vp = self.viewport().rect()
        return min(vp.width() / rect.width(), vp.height() / rect.height())

    def _update_handles(self) -> None:
        size = HANDLE_PX / max(self.scale_factor(), 1e-6)
        for item in self._items:
            item.set_handle(size)
        self.zoom_changed.emit(self.scale_factor())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fitted:
            self.fit()

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y()
        if delta:
            self.zoom_by(1.0015 ** delta)
        event.accept()

    # mouse ------------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        arrows = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0),
                  Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        mods = event.modifiers()
        if event.key() in arrows and not mods & Qt.KeyboardModifier.ControlModifier:
            # arrows move the selected region (Shift: ten times further), Alt+arrows resize
            # it; with nothing selected they scroll the photo as usual
            dx, dy = arrows[event.key()]
            far = 10 if mods & Qt.KeyboardModifier.ShiftModifier else 1
            if self.nudge_selected(dx * far * 4, dy * far * 4,
                                   bool(mods & Qt.KeyboardModifier.AltModifier)):
                event.accept()
                return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event) -> None:
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space
        ):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if button == Qt.MouseButton.LeftButton and self._editor is not None:
            hit = self.itemAt(event.position().toPoint())
            if not isinstance(hit, RegionItem):
                self.scene().clearSelection()
                start = self.clamp(self.mapToScene(event.position().toPoint()))
                rubber = QGraphicsRectItem(QRectF(start, start))
                pen = QPen(MANUAL, 1.5, Qt.PenStyle.DashLine)
                pen.setCosmetic(True)
                rubber.setPen(pen)
                rubber.setZValue(2)
                self.scene().addItem(rubber)
                self._creating = (start, rubber)
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            h, v = self.horizontalScrollBar(), self.verticalScrollBar()
            h.setValue(h.value() - round(delta.x()))
            v.setValue(v.value() - round(delta.y()))
            event.accept()
            return
        if self._creating is not None:
            start, rubber = self._creating
            end = self.clamp(self.mapToScene(event.position().toPoint()))
            rubber.setRect(QRectF(start, end).normalized())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(
                Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor
            )
            event.accept()
            return
        if self._creating is not None:
            start, rubber = self._creating
            self._creating = None
            end = self.clamp(self.mapToScene(event.position().toPoint()))
            self.scene().removeItem(rubber)
            rect = QRectF(start, end).normalized()
            if rect.width() >= MIN_SIDE and rect.height() >= MIN_SIDE and self._editor:
                # a hand-drawn region is a box: it hides everything the user framed
                self._editor.add(Region(round(rect.x()), round(rect.y()), round(rect.width()),
                                        round(rect.height()), "box", 1.0, "manual"))
                self._items[-1].setSelected(True)
            event.accept()
            return
        super().mouseReleaseEvent(event)
