# Sourced by scripts/device_pretrain.sh: unpacks the Debian build dependencies carried in .devdeps/
# (apt-get download, see DEVELOPERS.md "Training on a GPU") into a private prefix, so a machine whose
# system we must not touch (and which reaches no package registry) can build jointnlu. Sets
# DEPS_PREFIX, PKG_CONFIG_* and LD_LIBRARY_PATH for the build and the runs.
DEPS_ROOT=${DEPS_ROOT:-/tmp/jointnlu-deps}
mkdir -p "$DEPS_ROOT"
for f in .devdeps/*.deb; do dpkg-deb -x "$f" "$DEPS_ROOT"; done
DEPS_PREFIX=$DEPS_ROOT/usr
DEPS_LIB=$DEPS_PREFIX/lib/x86_64-linux-gnu
# The .pc files say prefix=/usr; point them at the private prefix.
for pc in "$DEPS_LIB"/pkgconfig/*.pc "$DEPS_PREFIX"/share/pkgconfig/*.pc; do
  [ -f "$pc" ] && sed -i -E "s#^(prefix|exec_prefix|libdir|includedir)=/usr#\1=$DEPS_PREFIX#" "$pc"
done
export PKG_CONFIG_PATH=$DEPS_LIB/pkgconfig:$DEPS_PREFIX/share/pkgconfig
export LD_LIBRARY_PATH=$DEPS_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if command -v pkg-config >/dev/null; then PKG_CONFIG_BIN=$(command -v pkg-config); else PKG_CONFIG_BIN=$DEPS_PREFIX/bin/pkgconf; fi
