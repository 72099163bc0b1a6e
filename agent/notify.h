/* systemd's readiness protocol (sd_notify) without libsystemd: one
 * datagram to $NOTIFY_SOCKET.  A no-op when not run by systemd. */
#ifndef HG_NOTIFY_H
#define HG_NOTIFY_H

void	hg_notify(const char *state);
int	hg_notify_enabled(void);

#endif
