#!/usr/bin/env bash
# Entrypoint of lifeboat-lab/mariadb — behaves like the official mariadb image's:
#   MARIADB_ROOT_PASSWORD (or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD / MARIADB_RANDOM_ROOT_PASSWORD),
#   MARIADB_ROOT_HOST (default %), MARIADB_DATABASE, MARIADB_USER, MARIADB_PASSWORD, the
#   MYSQL_* spellings and *_FILE variants; mariadb-install-db into /var/lib/mysql on first
#   start, then /docker-entrypoint-initdb.d/* (*.sh, *.sql, *.sql.gz, *.sql.xz) once; the
#   server runs as the mysql user.
# Difference, on purpose: Debian's config binds the server to 127.0.0.1 (inside the
# container's own network namespace), never to other addresses.
set -Eeo pipefail

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock

file_env() { # file_env VAR [default]: VAR, its MYSQL_ spelling, or the file named by VAR_FILE
	local var="$1" def="${2:-}" mysqlVar="${1/#MARIADB_/MYSQL_}" val
	local fileVar="${var}_FILE" mysqlFileVar="${mysqlVar}_FILE"
	val="$def"
	if [ -n "${!var:-}" ]; then val="${!var}"
	elif [ -n "${!mysqlVar:-}" ]; then val="${!mysqlVar}"
	elif [ -n "${!fileVar:-}" ]; then val="$(<"${!fileVar}")"
	elif [ -n "${!mysqlFileVar:-}" ]; then val="$(<"${!mysqlFileVar}")"
	fi
	export "$var"="$val"
	unset "$fileVar" "$mysqlFileVar"
}

sql_escape() { # for use inside '...' in SQL
	local s="${1//\\/\\\\}"
	printf '%s' "${s//\'/\\\'}"
}

# shellcheck disable=SC2016 # backticks are SQL quoting here
sql_ident() { printf '`%s`' "${1//\`/\`\`}"; }

mariadb_temp() { # client on the temporary socket-only server
	mariadb --protocol=socket --socket="$SOCKET" -uroot "$@"
}

init_database() {
	file_env MARIADB_ROOT_PASSWORD
	file_env MARIADB_ALLOW_EMPTY_ROOT_PASSWORD
	file_env MARIADB_RANDOM_ROOT_PASSWORD
	file_env MARIADB_ROOT_HOST '%'
	file_env MARIADB_DATABASE
	file_env MARIADB_USER
	file_env MARIADB_PASSWORD
	if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" ] && [ -z "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
		echo >&2 'error: Database is uninitialized and password option is not specified'
		echo >&2 '  You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD'
		exit 1
	fi
	if [ -n "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
		MARIADB_ROOT_PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
		echo "GENERATED ROOT PASSWORD: $MARIADB_ROOT_PASSWORD"
	fi

	echo 'Initializing database files'
	mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal \
		--skip-test-db --skip-name-resolve --default-time-zone=SYSTEM --skip-log-bin \
		--expire-logs-days=0 --loose-innodb_buffer_pool_load_at_startup=0 \
		--loose-innodb_buffer_pool_dump_at_shutdown=0 >/dev/null
	echo 'Database files initialized'

	echo 'Starting temporary server'
	mariadbd --skip-networking --socket="$SOCKET" --default-time-zone=SYSTEM --skip-log-bin \
		--expire-logs-days=0 --loose-innodb_buffer_pool_load_at_startup=0 &
	local pid=$!
	for _ in $(seq 60); do
		mariadb_temp -e 'SELECT 1' >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || { echo >&2 'error: temporary server died'; exit 1; }
		sleep 1
	done
	mariadb_temp -e 'SELECT 1' >/dev/null || { echo >&2 'error: temporary server did not start'; exit 1; }
	echo 'Temporary server started.'

	local rootpw rootHost
	rootpw="$(sql_escape "$MARIADB_ROOT_PASSWORD")"
	rootHost="$(sql_escape "$MARIADB_ROOT_HOST")"
	{
		echo "SET @@SESSION.SQL_LOG_BIN=0;"
		echo "DELETE FROM mysql.global_priv WHERE user='' OR (user='root' AND host NOT IN ('localhost'));"
		echo "FLUSH PRIVILEGES;"
		echo "SET PASSWORD FOR 'root'@'localhost' = PASSWORD('$rootpw');"
		if [ "$MARIADB_ROOT_HOST" != localhost ]; then
			echo "CREATE USER 'root'@'$rootHost' IDENTIFIED BY '$rootpw';"
			echo "GRANT ALL ON *.* TO 'root'@'$rootHost' WITH GRANT OPTION;"
			echo "GRANT PROXY ON ''@'%' TO 'root'@'$rootHost' WITH GRANT OPTION;"
		fi
		echo "FLUSH PRIVILEGES;"
		if [ -n "$MARIADB_DATABASE" ]; then
			echo "CREATE DATABASE IF NOT EXISTS $(sql_ident "$MARIADB_DATABASE");"
		fi
		if [ -n "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD" ]; then
			echo "CREATE USER '$(sql_escape "$MARIADB_USER")'@'%' IDENTIFIED BY '$(sql_escape "$MARIADB_PASSWORD")';"
			if [ -n "$MARIADB_DATABASE" ]; then
				echo "GRANT ALL ON $(sql_ident "$MARIADB_DATABASE").* TO '$(sql_escape "$MARIADB_USER")'@'%';"
			fi
		fi
	} | mariadb_temp --binary-mode

	local f dbarg=()
	[ -n "$MARIADB_DATABASE" ] && dbarg=(--database="$MARIADB_DATABASE")
	export MYSQL_PWD="$MARIADB_ROOT_PASSWORD"
	for f in /docker-entrypoint-initdb.d/*; do
		[ -e "$f" ] || continue
		case "$f" in
			*.sh)
				if [ -x "$f" ]; then
					echo "$0: running $f"; "$f"
				else
					echo "$0: sourcing $f"
					# shellcheck disable=SC1090
					. "$f"
				fi ;;
			*.sql)    echo "$0: running $f"; mariadb_temp "${dbarg[@]}" <"$f" ;;
			*.sql.gz) echo "$0: running $f"; gunzip -c "$f" | mariadb_temp "${dbarg[@]}" ;;
			*.sql.xz) echo "$0: running $f"; xzcat "$f" | mariadb_temp "${dbarg[@]}" ;;
			*)        echo "$0: ignoring $f" ;;
		esac
	done
	unset MYSQL_PWD

	echo 'Stopping temporary server'
	kill "$pid"
	wait "$pid" || true
	echo
	echo 'MariaDB init process done. Ready for start up.'
	echo
}

if [ "${1:0:1}" = '-' ]; then set -- mariadbd "$@"; fi

if [ "$1" = mariadbd ] || [ "$1" = mysqld ]; then
	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$DATADIR" /run/mysqld
		find "$DATADIR" \! -user mysql -exec chown mysql:mysql '{}' +
		chown mysql:mysql /run/mysqld
		HOME=/var/lib/mysql exec setpriv --reuid=mysql --regid=mysql --init-groups "${BASH_SOURCE[0]}" "$@"
	fi
	if [ ! -d "$DATADIR/mysql" ]; then
		init_database
	else
		echo 'Database directory appears to contain a database; Skipping initialization'
	fi
fi

exec "$@"
