/*
 * layout.h - geometry of a room's composite picture: where each
 * participant's tile goes on a W x H canvas (grid, presenter, speaker,
 * lecture), and which participants are shown at all in each layout mode.
 *
 * Thread: pure functions, no state; called by whichever mixer worker composes
 * a room. No RFCs.
 */
#ifndef CV_LAYOUT_H
#define CV_LAYOUT_H

#define CV_LAYOUT_MAX 100          /* most tiles in one grid */
#define CV_LAYOUT_MEMBERS_MAX 1000 /* most members cv_layout_plan chooses among */
#define CV_LAYOUT_GAP 2            /* pixels between neighbouring tiles (even, for I420) */

typedef struct {
    int x, y, w, h;
} cv_rect_t;

/*
 * Grid for n tiles (0..CV_LAYOUT_MAX) on a W x H canvas (both even,
 * 2..CV_IMAGE_MAX_DIM). Columns x rows: 1 -> 1x1, 2 -> 2x1 (side by side),
 * 3-4 -> 2x2, 5-6 -> 3x2, 7-9 -> 3x3, 10-12 -> 4x3, 13-16 -> 4x4, then
 * cols = ceil(sqrt(n)), rows = ceil(n / cols). On a portrait canvas (H > W)
 * columns and rows swap: 2 -> 1x2 (stacked), 5-6 -> 2x3.
 *
 * All tiles have the same size, the largest even size that fits with
 * CV_LAYOUT_GAP pixels between tiles; the grid is centred on the canvas.
 * Tiles fill row-major in the given order (tile i is always the i-th
 * participant, so tiles do not jump around); a last row that is not full is
 * centred horizontally. Every x, y, w, h is even, every rect lies inside the
 * canvas, no two rects overlap.
 *
 * Writes n rects to out (which may be NULL when n == 0). Returns n, or
 * CV_E_INVAL for n outside 0..CV_LAYOUT_MAX, a bad canvas size, out == NULL
 * with n > 0, or a canvas too small to give every tile at least 2 x 2.
 */
int cv_layout_grid(int n, int W, int H, cv_rect_t *out);

/*
 * The grid shape for n tiles (1..CV_LAYOUT_MAX) as above, without placing it.
 * Returns 0 or CV_E_INVAL.
 */
int cv_layout_shape(int n, int *cols, int *rows);

/* Presenter layout: out[0] is the large tile (a screen share) on the left
 * three quarters of the W x H canvas; out[1..n_small] are the small tiles
 * stacked in the right quarter (a grid of the strip when they do not fit in
 * one column). On a portrait canvas (H > W) the large tile takes the top
 * three quarters and the small ones the bottom quarter. Even coordinates, CV_LAYOUT_GAP between
 * tiles. Returns 1 + n_small, or CV_E_INVAL. Pure. */
int cv_layout_presenter(int n_small, int W, int H, cv_rect_t *out);

/* Speaker layout: out[0] is the large tile (the active speaker) across the
 * top of the canvas; out[1..n_small] (n_small 0..CV_LAYOUT_STRIP_MAX) are
 * 16:9 tiles in one row along the bottom quarter, centred horizontally,
 * CV_LAYOUT_GAP below the large tile. With n_small == 0 the large tile is
 * the whole canvas. Even coordinates, no overlaps. Returns 1 + n_small, or
 * CV_E_INVAL (bad n_small, out NULL, canvas not even or under 16 x 16). Pure. */
#define CV_LAYOUT_STRIP_MAX 4
int cv_layout_speaker(int n_small, int W, int H, cv_rect_t *out);

/* Lecture layout: out[0..n_big-1] (n_big 1..CV_LAYOUT_BIG_MAX) are the large
 * tiles (lecturer, screen share) sharing the left three quarters of the
 * canvas (all of it when n_small == 0) in the arrangement that gives each
 * 16:9 picture the most room; out[n_big] (n_small 0 or 1) is the small tile
 * (the student speaking) in the right quarter, 16:9, centred vertically.
 * On a portrait canvas (H > W): the large tiles in the top three quarters,
 * the small one in the bottom quarter. Returns n_big + n_small, or CV_E_INVAL. Pure. */
#define CV_LAYOUT_BIG_MAX 4
int cv_layout_lecture(int n_big, int n_small, int W, int H, cv_rect_t *out);

/* Layout modes (the same values as room.h's CV_LAYOUT_MODE_*). */
enum { CV_LAYOUT_GRID = 0, CV_LAYOUT_SPEAKER = 1, CV_LAYOUT_LECTURE = 2 };

/* A participant who may be shown (viewers are not members). */
typedef struct {
    int id;       /* stable id (join order) */
    int screen;   /* a screen share */
    int lecturer; /* the lecturer (cv_part_set_lecturer) */
    int speaking; /* heard now (one of the mixed voices, hang-over included) */
} cv_layout_member_t;

/*
 * Who is shown, and where, for layout mode on a W x H canvas. members[0..n-1]
 * in join order (n 0..CV_LAYOUT_MEMBERS_MAX); active is the id of the active
 * speaker or -1; recent[0..n_recent-1] the ids of the last distinct speakers,
 * most recent first (ids no longer among the members are skipped).
 *  - GRID: everyone in cv_layout_grid; while someone shares a screen, the
 *    first screen large and the other members (not screens) in the presenter
 *    strip (the grid of everyone if the strip does not fit). With more than
 *    CV_LAYOUT_MAX members, CV_LAYOUT_MAX of them are shown, chosen in this
 *    order: the first screen share, the active speaker, the members
 *    speaking, the recent speakers (most recent first), then the others in
 *    join order; the chosen are laid out in join order.
 *  - SPEAKER: large the first screen share, else the active speaker, else
 *    the first member; the strip: the recent speakers not already large,
 *    most recent first, at most CV_LAYOUT_STRIP_MAX.
 *  - LECTURE: large the lecturers and screen shares in join order (at most
 *    CV_LAYOUT_BIG_MAX; nobody of them: as SPEAKER's large tile); small the
 *    active speaker if speaking and not large, else the first speaking
 *    member not large; nobody else.
 * Writes k member positions (indexes into members) to shown[] and their
 * rects to rects[] (room for CV_LAYOUT_MAX each), large tiles first. Returns
 * k (0..n, at most CV_LAYOUT_MAX), or CV_E_INVAL.
 * Pure.
 */
int cv_layout_plan(int mode, const cv_layout_member_t *members, int n, int active,
                   const int *recent, int n_recent, int W, int H, int *shown, cv_rect_t *rects);

#endif
