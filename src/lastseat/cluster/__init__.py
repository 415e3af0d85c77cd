"""`lastseat cluster`: app hosts and a highly available PostgreSQL (etcd, Patroni, HAProxy),
as Linux network namespaces on one machine standing in for hosts."""
