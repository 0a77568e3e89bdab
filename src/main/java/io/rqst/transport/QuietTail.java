package io.rqst.transport;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a UDP channel: socket errors that no one else handled (e.g. a read racing
 * the socket's close) are logged at debug level instead of reaching Netty's tail, which would print
 * a stack trace to the user.
 */
@ChannelHandler.Sharable
final class QuietTail extends ChannelInboundHandlerAdapter {
    static final QuietTail INSTANCE = new QuietTail();
    private static final Logger LOG = LoggerFactory.getLogger(QuietTail.class);

    private QuietTail() {}

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("UDP socket {}: {}", ctx.channel().localAddress(), cause.toString());
    }
}
