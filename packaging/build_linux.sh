#!/usr/bin/env bash
# Build the Linux desktop bundle: dist/BatchLab/ (one folder, Python included) and
# dist/BatchLab-<version>-linux-<arch>.tar.gz. Run from anywhere, in an environment where
# BatchLab's dependencies are installed (python3 -m pip install -e .).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check "pyinstaller>=6.10,<7"
python3 -m PyInstaller packaging/batchlab.spec --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller

version=$(python3 -c "import app; print(app.__version__)")
archive="dist/BatchLab-${version}-linux-$(uname -m).tar.gz"
cp packaging/batchlab.desktop dist/BatchLab/
tar -C dist -czf "$archive" BatchLab
echo "Built dist/BatchLab/ and $archive ($(du -sh dist/BatchLab | cut -f1) unpacked)"
