/** Sessions: one client's control stream and datagrams, on the server and on the client. */
package io.rqst.session;
