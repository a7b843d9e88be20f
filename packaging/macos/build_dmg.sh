#!/usr/bin/env bash
# macOS: build dist/BatchLab.app with PyInstaller and wrap it in dist/BatchLab-<version>-macos-<arch>.dmg.
# Run on a Mac (PyInstaller does not cross-compile), in an environment with BatchLab installed.
# Unsigned: the first start needs right-click → Open (see packaging/README.md for signing).
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 -m pip install --quiet --disable-pip-version-check "pyinstaller>=6.10,<7"
python3 -m PyInstaller packaging/batchlab.spec --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller

version=$(python3 -c "import app; print(app.__version__)")
staging=$(mktemp -d)
cp -R dist/BatchLab.app "$staging/"
ln -s /Applications "$staging/Applications"  # drag-to-install
hdiutil create -volname BatchLab -srcfolder "$staging" -ov -format UDZO "dist/BatchLab-${version}-macos-$(uname -m).dmg"
rm -rf "$staging"
