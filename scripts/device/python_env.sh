# Sourced by the device scripts (from the repository root, with PYTHON set): installs the
# carried wheels in $WHEELS (default .whl) into /tmp/e4t-site and puts them and the server
# package on PYTHONPATH; without wheels there, the Python is used as it is.
WHEELS=${WHEELS:-.whl}
if compgen -G "$WHEELS/*.whl" >/dev/null; then
  "$PYTHON" -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/e4t-site "$WHEELS"/*.whl || exit 1
  export PYTHONPATH=/tmp/e4t-site:$PWD/server
else
  export PYTHONPATH=$PWD/server${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
