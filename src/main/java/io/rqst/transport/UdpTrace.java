package io.rqst.transport;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import io.rqst.trace.Trace;

/**
 * The first handler of a UDP channel when {@link Trace#ON}: marks each datagram in and out, the end of the codec's
 * read-complete and the socket's flush.
 */
@ChannelHandler.Sharable
final class UdpTrace extends ChannelDuplexHandler {
    static final UdpTrace INSTANCE = new UdpTrace();

    private UdpTrace() {}

    private static int length(Object msg) {
        return msg instanceof DatagramPacket d ? d.content().readableBytes() : -1;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Trace.mark(Trace.UDP_IN, length(msg));
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.fireChannelReadComplete();
        Trace.mark(Trace.UDP_READ_DONE, 0);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        Trace.mark(Trace.UDP_WRITE, length(msg));
        ctx.write(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        Trace.mark(Trace.UDP_FLUSH, 0);
        ctx.flush();
        Trace.mark(Trace.UDP_FLUSH_DONE, 0);
    }
}
