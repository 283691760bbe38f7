# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# The binding's version: ULS_VERSION of include/uls/version.h, which is the
# one place of it. pyproject.toml reads it from here; the tests check that
# it equals that header (in a source tree) and the loaded libuls's
# uls_version().
__version__ = "0.1.0"
