"""Match a scanned page to its template page and find the homography back to page millimetres.

1. :func:`detect_markers` — OpenCV ArUco (``DICT_5X5_1000``) on a copy shrunk to at most
   ``DETECT_SIDE`` pixels; corner coordinates are scaled back to the picture.
2. :func:`identify` — the template marker must carry this template's key (else: a page of another
   template), the page marker gives the page number.
3. :func:`register_page` — every corner of every known marker found (up to 6 markers x 4 corners)
   pairs an image point with its printed position in mm; a least-squares homography maps the picture
   onto the page, a marker that does not fit the others is dropped and the fit redone. Because
   each marker's corners come back in the marker's own order, a page scanned
   upside down or sideways is straightened by the same homography; its rotation is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from segan_core.errors import InputFileError
from segan_core.scans.template import (
    ARUCO_DICT,
    CORNER_IDS,
    MARKER_MM,
    MAX_PAGES,
    PAGE_ID_BASE,
    TEMPLATE_ID_BASE,
    TEMPLATE_KEYS,
    Template,
)

DETECT_SIDE = 2400
MAX_ERROR_MM = 1.0
OUTLIER_MM = 0.12  # a marker whose corners are this far from the fit is dropped (good ones: < 0.06 mm)


@dataclass(frozen=True)
class PageMatch:
    """Where a picture sits on the template: page, picture-pixel -> mm homography and diagnostics."""

    page: int
    homography: np.ndarray  # 3x3, picture pixels -> page millimetres
    rotation_deg: float  # how far the page is turned in the picture (180 = upside down)
    markers: int
    error_mm: float
    px_per_mm: float


@cache
def _detector() -> cv2.aruco.ArucoDetector:
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    return cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(ARUCO_DICT), params)


def detect_markers(gray: np.ndarray) -> dict[int, np.ndarray]:
    """Marker id -> its 4 corners (4x2 float32, picture pixels); shrinks big pictures for speed."""
    scale = min(1.0, DETECT_SIDE / max(gray.shape))
    small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    corners, ids, _ = _detector().detectMarkers(small)
    found: dict[int, np.ndarray] = {}
    if ids is None:
        return found
    for marker_id, quad in zip(ids.ravel().tolist(), corners, strict=True):
        found[int(marker_id)] = quad.reshape(4, 2).astype(np.float32) / scale
    return found


def identify(found: dict[int, np.ndarray], template: Template, name: str) -> int:
    """The page number the markers name; a one-line error for blank, foreign or unmarked pages."""
    if not found:
        raise InputFileError(f"{name}: no template markers found (a blank page, or not a Segan Studio sheet?)")
    keys = {i - TEMPLATE_ID_BASE for i in found if TEMPLATE_ID_BASE <= i < TEMPLATE_ID_BASE + TEMPLATE_KEYS}
    if keys and template.key not in keys:
        raise InputFileError(
            f"{name}: page of another template (marker key {min(keys)}), not of template {template.template_id}"
        )
    pages = sorted(i - PAGE_ID_BASE for i in found if PAGE_ID_BASE <= i < PAGE_ID_BASE + MAX_PAGES)
    if not keys or not pages:
        raise InputFileError(f"{name}: the template/page markers at the bottom of the page are not visible")
    if len(pages) > 1:
        raise InputFileError(f"{name}: markers of {len(pages)} pages in one picture; take one page per picture")
    if pages[0] >= template.pages:
        raise InputFileError(f"{name}: page marker names page {pages[0] + 1}, the template has {template.pages}")
    return pages[0]


def register_page(gray: np.ndarray, template: Template, name: str) -> PageMatch:
    """Identify the page and fit the picture -> mm homography (RANSAC over all marker corners)."""
    found = detect_markers(gray)
    page = identify(found, template, name)
    printed = template.markers(page)
    image_pts, page_pts = [], []
    for marker_id, quad in found.items():
        if marker_id not in printed:
            continue
        x, y = printed[marker_id]
        image_pts.append(quad)
        page_pts.append(np.array([[x, y], [x + MARKER_MM, y], [x + MARKER_MM, y + MARKER_MM], [x, y + MARKER_MM]],
                                 np.float32))
    corners_seen = sum(1 for i in CORNER_IDS if i in found)
    if len(image_pts) < 3 or corners_seen < 2:
        raise InputFileError(
            f"{name}: only {len(image_pts)} of 6 markers visible; the whole page must be in the picture"
        )
    homography, error, kept = _fit(image_pts, page_pts)
    if homography is None:
        raise InputFileError(f"{name}: cannot straighten the page from its markers")
    if error > MAX_ERROR_MM:
        raise InputFileError(f"{name}: markers do not fit a flat page (error {error:.1f} mm); is the page folded?")
    return PageMatch(page, homography, _rotation(homography), kept, error, _px_per_mm(homography))


def _fit(image_pts: list[np.ndarray], page_pts: list[np.ndarray]) -> tuple[np.ndarray | None, float, int]:
    """Least-squares homography over all marker corners, dropping the worst marker while it is an outlier.

    A marker whose corners sit more than ``OUTLIER_MM`` (mean) from the fit is removed (a smudge or a
    bad detection), as long as three markers remain; returns the homography, the median error (mm) and the markers used.
    """
    image_pts, page_pts = list(image_pts), list(page_pts)
    while True:
        src, dst = np.concatenate(image_pts), np.concatenate(page_pts)
        homography, _ = cv2.findHomography(src, dst, 0)
        if homography is None:
            return None, float("inf"), 0
        mapped = cv2.perspectiveTransform(src[None], homography)[0]
        residual = np.linalg.norm(mapped - dst, axis=1)
        per_marker = residual.reshape(-1, 4).mean(axis=1)
        worst = int(per_marker.argmax())
        if per_marker[worst] <= OUTLIER_MM or len(image_pts) <= 3:
            return homography, float(np.median(residual)), len(image_pts)
        del image_pts[worst], page_pts[worst]


def _rotation(homography: np.ndarray) -> float:
    """Angle (degrees) of the page's x axis in the picture."""
    inverse = np.linalg.inv(homography)
    pts = cv2.perspectiveTransform(np.array([[[100.0, 150.0], [110.0, 150.0]]], np.float32), inverse)[0]
    dx, dy = pts[1] - pts[0]
    return math.degrees(math.atan2(dy, dx))


def _px_per_mm(homography: np.ndarray) -> float:
    """Picture pixels per page millimetre near the page centre."""
    inverse = np.linalg.inv(homography)
    pts = cv2.perspectiveTransform(np.array([[[100.0, 150.0], [110.0, 150.0], [100.0, 160.0]]], np.float32), inverse)
    a, b, c = pts[0]
    return float((np.linalg.norm(b - a) + np.linalg.norm(c - a)) / 20.0)
