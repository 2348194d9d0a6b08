#!/bin/sh
# Creates the secret files docker-compose.yml mounts as Docker secrets (default: deploy/secrets/),
# each from `openssl rand`. Files that exist are kept: replacing the token secret signs everyone
# out, and replacing the KEK or the checkpoint key makes the data or the checkpoints unreadable.
#
#   sh deploy/generate-secrets.sh [directory]
#
# The directory is mode 0700, so no other user of the host can read the files. The files are mode
# 0644 because Compose bind-mounts them with the host's owner and mode, and the container's user
# (node, uid 1000) must read them. Back the directory up somewhere safe: without cradle_kek the
# encrypted fields cannot be read.
set -eu
dir="${1:-$(dirname "$0")/secrets}"
umask 077
mkdir -p "$dir"
chmod 700 "$dir"

secret() {
  name=$1
  shift
  if [ ! -s "$dir/$name" ]; then
    "$@" > "$dir/$name.tmp"
    mv "$dir/$name.tmp" "$dir/$name"
  fi
  chmod 644 "$dir/$name"
}

secret cradle_token_secret openssl rand -hex 32
secret cradle_audit_checkpoint_key openssl rand -hex 32
secret cradle_kek openssl rand -base64 32
secret postgres_password openssl rand -hex 24
secret cradle_database_url sh -c "printf 'postgres://cradle:%s@postgres:5432/cradle\n' \"\$(cat '$dir/postgres_password')\""
echo "Secrets are in $dir"
