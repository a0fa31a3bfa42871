#!/usr/bin/env bash
# Installs and starts real Postfix (SMTP on 127.0.0.1:25, STARTTLS, SASL AUTH through Dovecot)
# and Dovecot (POP3 on 127.0.0.1:110 with STLS, POP3S on 995, IMAP on 143 with STARTTLS,
# IMAPS on 993) with one test account, a
# self-signed certificate, and no mail leaving the machine. Idempotent; needs root (or sudo)
# and no systemd. Usable by a person to set up a local lab:
#   user mtlab@lab.test, password labpass; certificate in /etc/mailtutor-lab/cert.pem
set -euo pipefail

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
lab=/etc/mailtutor-lab
user=mtlab
domain=lab.test
password=labpass

if ! command -v postfix >/dev/null 2>&1 || ! command -v dovecot >/dev/null 2>&1 \
   || [ ! -e /usr/lib/dovecot/pop3 ] || [ ! -e /usr/lib/dovecot/imap ]; then
  echo "interop: installing postfix and dovecot" >&2
  echo "postfix postfix/main_mailer_type select Local only" | $sudo debconf-set-selections
  echo "postfix postfix/mailname string mail.$domain" | $sudo debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends postfix dovecot-core dovecot-pop3d dovecot-imapd openssl >/dev/null
fi

$sudo mkdir -p "$lab"
if [ ! -s "$lab/cert.pem" ]; then
  $sudo openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mail.$domain" \
    -addext "subjectAltName=DNS:mail.$domain,DNS:localhost,IP:127.0.0.1" \
    -keyout "$lab/key.pem" -out "$lab/cert.pem" 2>/dev/null
  $sudo chmod 644 "$lab/cert.pem"
  $sudo chmod 600 "$lab/key.pem"
fi

# The account: a system user whose ~/Maildir Postfix delivers to and Dovecot reads.
if ! id "$user" >/dev/null 2>&1; then
  $sudo useradd --create-home --shell /usr/sbin/nologin "$user"
fi
uid=$(id -u "$user"); gid=$(id -g "$user"); home=$(getent passwd "$user" | cut -d: -f6)
$sudo mkdir -p "$home/Maildir/new" "$home/Maildir/cur" "$home/Maildir/tmp"
$sudo chown -R "$user:" "$home/Maildir"
echo "$user@$domain:{PLAIN}$password:$uid:$gid::$home::" | $sudo tee "$lab/users" >/dev/null
$sudo chmod 640 "$lab/users"
$sudo chgrp dovecot "$lab/users"

$sudo tee "$lab/dovecot.conf" >/dev/null <<CONF
protocols = pop3 imap
listen = 127.0.0.1
base_dir = /run/dovecot
log_path = /var/log/dovecot.log
ssl = yes
ssl_cert = <$lab/cert.pem
ssl_key = <$lab/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $lab/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $lab/users
}
service auth {
  unix_listener /var/spool/postfix/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 110
  }
  inet_listener pop3s {
    port = 995
    ssl = yes
  }
}
service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 993
    ssl = yes
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
CONF

pc() { $sudo postconf -e "$@"; }
# smtpd_forbid_bare_newline: only CRLF.CRLF ends DATA, for loopback clients too (Postfix's
# defence against SMTP smuggling, RFC 5321 §4.1.1.4; the default before Postfix 3.9 is "no").
pc "myhostname = mail.$domain" "mydomain = $domain" "myorigin = \$mydomain" \
   "mydestination = \$myhostname, $domain, localhost" \
   "inet_interfaces = loopback-only" "inet_protocols = ipv4" "mynetworks = 127.0.0.0/8" \
   "home_mailbox = Maildir/" "mailbox_command =" \
   "maillog_file = /var/log/postfix.log" \
   "smtpd_tls_cert_file = $lab/cert.pem" "smtpd_tls_key_file = $lab/key.pem" \
   "smtpd_tls_security_level = may" "smtpd_tls_auth_only = yes" \
   "smtpd_sasl_auth_enable = yes" "smtpd_sasl_type = dovecot" "smtpd_sasl_path = private/auth" \
   "smtpd_recipient_restrictions = permit_sasl_authenticated, reject_unauth_destination" \
   "default_transport = error:this lab sends no mail off the machine" \
   "relay_transport = error:this lab sends no mail off the machine" \
   "smtpd_forbid_bare_newline = normalize" "smtpd_forbid_bare_newline_exclusions =" \
   "compatibility_level = 3.6"
$sudo postconf -F '*/*/chroot = n'
$sudo newaliases 2>/dev/null || true

# Dovecot first: Postfix's SASL goes through its auth socket.
$sudo mkdir -p /var/spool/postfix/private
if $sudo doveadm -c "$lab/dovecot.conf" stop >/dev/null 2>&1; then sleep 0.5; fi
$sudo dovecot -c "$lab/dovecot.conf" </dev/null >/dev/null 2>&1
if $sudo postfix status >/dev/null 2>&1; then
  $sudo postfix reload >/dev/null 2>&1
else
  $sudo postfix start >/dev/null 2>&1
fi

for port in 25 110 995 143 993; do
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    sleep 0.1
  done
done
for _ in $(seq 50); do [ -S /var/spool/postfix/private/auth ] && break; sleep 0.1; done
echo "interop: Postfix on 127.0.0.1:25, Dovecot POP3 on 127.0.0.1:110 and 995, IMAP on 143 and 993; user $user@$domain / $password"
